// OPEN capabilities (RFC 5492): Code (1), Length (1), Value. Known: Multiprotocol (RFC 4760), Route Refresh
// (RFC 2918), Extended Next Hop Encoding (RFC 8950: NLRI AFI (2), NLRI SAFI (2), Next Hop AFI (2) per entry),
// Graceful Restart (RFC 4724, N bit RFC 8538), 4-octet AS (RFC 6793). Anything else is kept as
// { kind: "unknown", code, value } so it survives a decode/encode round trip. A known capability with the wrong
// length is a malformed optional parameter: NOTIFICATION 2/0 (RFC 4271 6.2).
import { EncodeError } from "../codec/errors.js";
import type { ByteReader } from "../codec/reader.js";
import type { ByteWriter } from "../codec/writer.js";
import { CapabilityCode, MAX_ASN } from "./constants.js";
import { ErrorCode, OpenSubcode, bgpFail, within } from "./notificationCodes.js";
import { checkUint } from "./uint.js";

export interface AfiSafi {
  readonly afi: number;
  readonly safi: number;
}

export interface GracefulRestartFamily extends AfiSafi {
  /** F bit: forwarding state was preserved across the restart. */
  readonly forwarding: boolean;
}

export interface ExtendedNextHopFamily extends AfiSafi {
  /** The AFI of the next hops these routes may carry (2: IPv6 next hops for IPv4 routes). */
  readonly nextHopAfi: number;
}

export type Capability =
  | ({ readonly kind: "multiprotocol" } & AfiSafi)
  | { readonly kind: "routeRefresh" }
  | { readonly kind: "extendedNextHop"; readonly families: readonly ExtendedNextHopFamily[] }
  | { readonly kind: "fourOctetAs"; readonly asn: number }
  | {
      readonly kind: "gracefulRestart";
      /** R bit: the sender has restarted. */
      readonly restarting: boolean;
      /** N bit (RFC 8538): the sender supports graceful restart for NOTIFICATION messages. */
      readonly notification: boolean;
      /** Seconds, 0..4095. */
      readonly restartTime: number;
      readonly families: readonly GracefulRestartFamily[];
    }
  | { readonly kind: "unknown"; readonly code: number; readonly value: Uint8Array };

const GR_RESTARTING = 0x8000;
const GR_NOTIFICATION = 0x4000;
const GR_TIME_MASK = 0x0fff;
const GR_FORWARDING = 0x80;

/** Value length of one capability (without its 2-octet code/length header). */
export function capabilityValueLength(c: Capability): number {
  switch (c.kind) {
    case "multiprotocol":
    case "fourOctetAs":
      return 4;
    case "routeRefresh":
      return 0;
    case "extendedNextHop":
      return 6 * c.families.length;
    case "gracefulRestart":
      return 2 + 4 * c.families.length;
    case "unknown":
      return c.value.length;
  }
}

export function capabilityLength(c: Capability): number {
  return 2 + capabilityValueLength(c);
}

export function writeCapability(w: ByteWriter, c: Capability): void {
  const length = capabilityValueLength(c);
  if (length > 255) throw new EncodeError("BGP_CAPABILITY_TOO_LONG", "capabilities", `a ${c.kind} capability of ${length} octets does not fit`);
  switch (c.kind) {
    case "multiprotocol":
      checkUint(c.afi, 0xffff, "afi");
      checkUint(c.safi, 0xff, "safi");
      w.u8(CapabilityCode.multiprotocol).u8(4).u16(c.afi).u8(0).u8(c.safi);
      return;
    case "routeRefresh":
      w.u8(CapabilityCode.routeRefresh).u8(0);
      return;
    case "extendedNextHop":
      w.u8(CapabilityCode.extendedNextHop).u8(length);
      for (const f of c.families) {
        checkUint(f.afi, 0xffff, "afi");
        checkUint(f.safi, 0xffff, "safi");
        checkUint(f.nextHopAfi, 0xffff, "nextHopAfi");
        w.u16(f.afi).u16(f.safi).u16(f.nextHopAfi);
      }
      return;
    case "fourOctetAs":
      checkUint(c.asn, MAX_ASN, "asn");
      w.u8(CapabilityCode.fourOctetAs).u8(4).u32(c.asn);
      return;
    case "gracefulRestart": {
      checkUint(c.restartTime, GR_TIME_MASK, "restartTime");
      const flags = (c.restarting ? GR_RESTARTING : 0) | (c.notification ? GR_NOTIFICATION : 0);
      w.u8(CapabilityCode.gracefulRestart).u8(length).u16(flags | c.restartTime);
      for (const f of c.families) {
        checkUint(f.afi, 0xffff, "afi");
        checkUint(f.safi, 0xff, "safi");
        w.u16(f.afi).u8(f.safi).u8(f.forwarding ? GR_FORWARDING : 0);
      }
      return;
    }
    case "unknown":
      checkUint(c.code, 0xff, "code");
      if (Object.values(CapabilityCode).includes(c.code as never)) {
        throw new EncodeError("BGP_BAD_FIELD", "capabilities", `code ${c.code} is a known capability; use its kind`);
      }
      w.u8(c.code).u8(length).bytes(c.value);
      return;
  }
}

/** Reads the capabilities filling one Capabilities optional parameter. */
export function readCapabilities(r: ByteReader, out: Capability[]): void {
  while (r.remaining > 0) {
    const at = r.offset;
    const { code, value } = within(ErrorCode.openMessage, OpenSubcode.unspecific, "capability overruns its parameter", () => {
      const c = r.u8();
      return { code: c, value: r.sub(r.u8()) };
    });
    out.push(readCapabilityValue(code, value, at));
  }
}

function readCapabilityValue(code: number, v: ByteReader, at: number): Capability {
  const length = v.remaining;
  const wrongLength = (want: string): never =>
    bgpFail(ErrorCode.openMessage, OpenSubcode.unspecific, at, `capability ${code} has length ${length}, want ${want}`);
  switch (code) {
    case CapabilityCode.multiprotocol: {
      if (length !== 4) wrongLength("4");
      const afi = v.u16();
      v.skip(1);
      return { kind: "multiprotocol", afi, safi: v.u8() };
    }
    case CapabilityCode.routeRefresh:
      if (length !== 0) wrongLength("0");
      return { kind: "routeRefresh" };
    case CapabilityCode.extendedNextHop: {
      if (length % 6 !== 0) wrongLength("6n");
      const families: ExtendedNextHopFamily[] = [];
      while (v.remaining > 0) families.push({ afi: v.u16(), safi: v.u16(), nextHopAfi: v.u16() });
      return { kind: "extendedNextHop", families };
    }
    case CapabilityCode.fourOctetAs:
      if (length !== 4) wrongLength("4");
      return { kind: "fourOctetAs", asn: v.u32() };
    case CapabilityCode.gracefulRestart: {
      if (length < 2 || (length - 2) % 4 !== 0) wrongLength("2 + 4n");
      const word = v.u16();
      const families: GracefulRestartFamily[] = [];
      while (v.remaining > 0) families.push({ afi: v.u16(), safi: v.u8(), forwarding: (v.u8() & GR_FORWARDING) !== 0 });
      return {
        kind: "gracefulRestart",
        restarting: (word & GR_RESTARTING) !== 0,
        notification: (word & GR_NOTIFICATION) !== 0,
        restartTime: word & GR_TIME_MASK,
        families,
      };
    }
    default:
      return { kind: "unknown", code, value: v.bytesCopy(length) };
  }
}
