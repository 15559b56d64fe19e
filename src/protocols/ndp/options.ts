// Neighbor Discovery options (RFC 4861 4.6): type, length in units of 8 octets, data. On Ethernet the link-layer
// address options are exactly one unit (RFC 2464 8). Unknown options are kept as bytes so a decoded message
// re-encodes to what was received; receivers ignore them (RFC 4861 4.6), callers look for the ones they know.
import { macToBytes, readMac } from "../codec/addresses.js";
import { EncodeError } from "../codec/errors.js";
import type { ByteReader } from "../codec/reader.js";
import type { ByteWriter } from "../codec/writer.js";

export const NdpOptionType = { sourceLinkLayer: 1, targetLinkLayer: 2 } as const;

export type NdpOption =
  | { readonly kind: "sourceLinkLayer"; readonly mac: string }
  | { readonly kind: "targetLinkLayer"; readonly mac: string }
  /** Any other option (prefix information, MTU, nonce, ...): `data` is everything after the length byte. */
  | { readonly kind: "other"; readonly type: number; readonly data: Uint8Array };

export const NdpOptionErrorCode = {
  /** Option length 0 (RFC 4861 4.6: "MUST silently discard"): also what would make a naive parser loop forever. */
  ZeroLength: "NDP_OPTION_ZERO_LENGTH",
  /** A link-layer address option that is not exactly 8 bytes (6-byte MAC + type + length). */
  BadLinkLayerLength: "NDP_BAD_LINK_LAYER_LENGTH",
} as const;

/** Largest option: the length byte counts units of 8 octets. */
export const MAX_OPTION_LENGTH = 255 * 8;

export function optionLength(o: NdpOption): number {
  return o.kind === "other" ? 2 + o.data.length : 8;
}

export function validateOption(o: NdpOption, field: string): void {
  if (o.kind !== "other") {
    macToBytes(o.mac, `${field}.mac`);
    return;
  }
  if (!Number.isInteger(o.type) || o.type < 0 || o.type > 255) {
    throw new EncodeError("NDP_BAD_OPTION_TYPE", `${field}.type`, `option type ${o.type} is not a byte`);
  }
  if (o.type === NdpOptionType.sourceLinkLayer || o.type === NdpOptionType.targetLinkLayer) {
    throw new EncodeError("NDP_BAD_OPTION_TYPE", `${field}.type`, `option type ${o.type} must use its own kind`);
  }
  const length = optionLength(o);
  if (length % 8 !== 0 || length > MAX_OPTION_LENGTH) {
    throw new EncodeError(
      "NDP_BAD_OPTION_LENGTH",
      `${field}.data`,
      `option of ${length} bytes is not a multiple of 8 in 8..${MAX_OPTION_LENGTH}`,
    );
  }
}

export function writeOption(w: ByteWriter, o: NdpOption): void {
  if (o.kind === "other") {
    w.u8(o.type).u8(optionLength(o) / 8).bytes(o.data);
    return;
  }
  w.u8(NdpOptionType[o.kind]).u8(1).bytes(macToBytes(o.mac));
}

/**
 * Reads options until `r` is exhausted. Bounded: every option consumes at least 8 bytes (length 0 is an error),
 * so at most remaining/8 iterations; each option is read through a sub-reader of its declared length.
 */
export function readOptions(r: ByteReader): NdpOption[] {
  const options: NdpOption[] = [];
  const maxOptions = Math.ceil(r.remaining / 8);
  for (let i = 0; i < maxOptions && r.remaining > 0; i++) {
    const at = r.offset;
    const type = r.u8();
    const units = r.u8();
    if (units === 0) r.fail(NdpOptionErrorCode.ZeroLength, `option type ${type} has length 0`, at + 1);
    const body = r.sub(units * 8 - 2);
    if (type === NdpOptionType.sourceLinkLayer || type === NdpOptionType.targetLinkLayer) {
      if (units !== 1) {
        r.fail(NdpOptionErrorCode.BadLinkLayerLength, `link-layer address option of ${units * 8} bytes, want 8`, at + 1);
      }
      const kind = type === NdpOptionType.sourceLinkLayer ? "sourceLinkLayer" : "targetLinkLayer";
      options.push({ kind, mac: readMac(body) });
    } else {
      options.push({ kind: "other", type, data: body.bytesCopy(body.remaining) });
    }
  }
  return options;
}

/** The MAC of the first option of `kind`, if any. */
export function linkLayerAddress(
  options: readonly NdpOption[],
  kind: "sourceLinkLayer" | "targetLinkLayer",
): string | undefined {
  for (const o of options) if (o.kind === kind) return o.mac;
  return undefined;
}
