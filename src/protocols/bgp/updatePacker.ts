// Packs routes into as few UPDATEs as fit in 4096 octets each: many prefixes with the same path attributes share one
// message; IPv4 goes in the classic fields, IPv6 in MP_REACH_NLRI/MP_UNREACH_NLRI. Sizes are computed from the
// encoder's own length functions, so a packed UPDATE never fails to encode for size.
import type { Family } from "../../net/ip.js";
import { type AttributeOptions, type PathAttributes, attributesLength } from "./attributes.js";
import { Afi, MAX_MESSAGE_LENGTH, Safi } from "./constants.js";
import { prefixEncodingLength } from "./prefix.js";
import { UPDATE_OVERHEAD, type UpdateMessage } from "./update.js";

/** Attribute header with the Extended Length flag: flags, type, 2-octet length. */
const EXTENDED_ATTR_HEADER = 4;
/** MP_UNREACH_NLRI value before its prefixes: AFI (2) + SAFI (1). */
const MP_UNREACH_FIXED = 3;

/** Splits `prefixes` into runs whose encoded size stays within `capacity` octets. */
function chunks(prefixes: readonly string[], capacity: number): string[][] {
  const out: string[][] = [];
  let current: string[] = [];
  let size = 0;
  for (const p of prefixes) {
    const n = prefixEncodingLength(p);
    if (size + n > capacity && current.length > 0) {
      out.push(current);
      current = [];
      size = 0;
    }
    current.push(p);
    size += n;
  }
  if (current.length > 0) out.push(current);
  return out;
}

/** UPDATEs withdrawing `prefixes` of one family. */
export function packWithdrawals(family: Family, prefixes: readonly string[]): UpdateMessage[] {
  if (family === 4) {
    return chunks(prefixes, MAX_MESSAGE_LENGTH - UPDATE_OVERHEAD).map((withdrawn) => ({ type: "update", withdrawn, attributes: {}, nlri: [] }));
  }
  const capacity = MAX_MESSAGE_LENGTH - UPDATE_OVERHEAD - EXTENDED_ATTR_HEADER - MP_UNREACH_FIXED;
  return chunks(prefixes, capacity).map((withdrawn) => ({
    type: "update",
    withdrawn: [],
    attributes: { mpUnreach: { afi: Afi.ipv6, safi: Safi.unicast, withdrawn } },
    nlri: [],
  }));
}

/**
 * UPDATEs announcing `prefixes` with the same attributes. For IPv4 `attributes` carries NEXT_HOP; for IPv6 it
 * carries an MP_REACH_NLRI with the next hops and an empty NLRI list, which is filled here.
 */
export function packAnnouncements(family: Family, attributes: PathAttributes, prefixes: readonly string[], opts: AttributeOptions): UpdateMessage[] {
  const fixed = attributesLength(attributes, opts);
  if (family === 4) {
    return chunks(prefixes, MAX_MESSAGE_LENGTH - UPDATE_OVERHEAD - fixed).map((nlri) => ({ type: "update", withdrawn: [], attributes, nlri }));
  }
  const mpReach = attributes.mpReach;
  if (mpReach === undefined) throw new Error("packAnnouncements: IPv6 routes need an MP_REACH_NLRI template");
  // `fixed` counts the empty MP_REACH with a 3-octet header; the filled one may need the 4-octet form.
  const capacity = MAX_MESSAGE_LENGTH - UPDATE_OVERHEAD - fixed - 1;
  return chunks(prefixes, capacity).map((nlri) => ({ type: "update", withdrawn: [], attributes: { ...attributes, mpReach: { ...mpReach, nlri } }, nlri: [] }));
}
