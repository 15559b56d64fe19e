// OPEN (RFC 4271 4.2): Version (1), My Autonomous System (2), Hold Time (2), BGP Identifier (4), Opt Parm Len (1),
// Optional Parameters. The only parameter is Capabilities (type 2, RFC 5492); the encoder packs the capabilities into
// as few parameters as fit in 255 octets each, the decoder flattens them in order. RFC 9072 extended parameters are
// not spoken (a peer only uses them when the parameters exceed 255 octets).
//
// Decoder checks (RFC 4271 6.2): Version != 4 -> 2/1 with data 0x0004 (the version we support); a parameter type other
// than Capabilities -> 2/4; a malformed parameter or capability -> 2/0. Semantic checks that need the session's
// configuration (peer AS, BGP Identifier, hold time 1 or 2) live in openValidation.ts.
import { ipv4ToBytes, isIpv4 } from "../codec/addresses.js";
import { EncodeError } from "../codec/errors.js";
import { ByteWriter } from "../codec/writer.js";
import { BGP_VERSION, HEADER_LENGTH, MessageType, OptionalParameterType } from "./constants.js";
import { type Capability, capabilityLength, readCapabilities, writeCapability } from "./capabilities.js";
import { openMessage, writeHeader } from "./header.js";
import { ErrorCode, OpenSubcode, bgpFail, u16Bytes, within } from "./notificationCodes.js";
import { checkUint } from "./uint.js";

export interface OpenMessage {
  readonly type: "open";
  /** The 2-octet My Autonomous System field as sent: AS_TRANS (23456) when the real ASN needs 4 octets. */
  readonly asn: number;
  /** Seconds: 0, or >= 3 (checked by openValidation, not here). */
  readonly holdTime: number;
  /** BGP Identifier, dotted decimal. */
  readonly bgpId: string;
  readonly capabilities: readonly Capability[];
}

const FIXED = HEADER_LENGTH + 10;
const MAX_PARAMETER_VALUE = 255;

/** Capabilities grouped into Capabilities parameters, greedily, each at most 255 octets of value. */
function parameterGroups(caps: readonly Capability[]): Capability[][] {
  const groups: Capability[][] = [];
  let current: Capability[] = [];
  let size = 0;
  for (const c of caps) {
    const n = capabilityLength(c);
    if (n > MAX_PARAMETER_VALUE) throw new EncodeError("BGP_CAPABILITY_TOO_LONG", "capabilities", `a ${c.kind} capability of ${n} octets does not fit a parameter`);
    if (size + n > MAX_PARAMETER_VALUE) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(c);
    size += n;
  }
  if (current.length > 0) groups.push(current);
  return groups;
}

function parametersLength(caps: readonly Capability[]): number {
  return parameterGroups(caps).reduce((sum, g) => sum + 2 + g.reduce((s, c) => s + capabilityLength(c), 0), 0);
}

export function encodingLength(m: OpenMessage): number {
  return FIXED + parametersLength(m.capabilities);
}

export function encodeInto(m: OpenMessage, buf: Uint8Array, offset = 0): number {
  checkUint(m.asn, 0xffff, "asn");
  checkUint(m.holdTime, 0xffff, "holdTime");
  if (!isIpv4(m.bgpId)) throw new EncodeError("INVALID_IPV4", "bgpId", `"${m.bgpId}" is not a dotted-decimal BGP Identifier`);
  const paramsLength = parametersLength(m.capabilities);
  if (paramsLength > 255) throw new EncodeError("BGP_PARAMETERS_TOO_LONG", "capabilities", `${paramsLength} octets of optional parameters, at most 255 fit`);
  const w = new ByteWriter(buf, offset);
  writeHeader(w, FIXED + paramsLength, MessageType.open);
  w.u8(BGP_VERSION).u16(m.asn).u16(m.holdTime).bytes(ipv4ToBytes(m.bgpId, "bgpId")).u8(paramsLength);
  for (const group of parameterGroups(m.capabilities)) {
    w.u8(OptionalParameterType.capabilities).u8(group.reduce((s, c) => s + capabilityLength(c), 0));
    for (const c of group) writeCapability(w, c);
  }
  return w.written;
}

export function encode(m: OpenMessage): Uint8Array {
  const buf = new Uint8Array(encodingLength(m));
  encodeInto(m, buf, 0);
  return buf;
}

export function decode(bytes: Uint8Array, offset = 0): { value: OpenMessage; bytesRead: number } {
  const { body: r, length } = openMessage(bytes, offset, MessageType.open);
  const version = r.u8();
  if (version !== BGP_VERSION) {
    bgpFail(ErrorCode.openMessage, OpenSubcode.unsupportedVersionNumber, r.offset - 1, `BGP version ${version}, we speak 4`, u16Bytes(BGP_VERSION));
  }
  const asn = r.u16();
  const holdTime = r.u16();
  const bgpId = Array.from(r.bytesView(4)).join(".");
  const paramsAt = r.offset;
  const paramsLength = r.u8();
  if (paramsLength !== r.remaining) {
    bgpFail(ErrorCode.openMessage, OpenSubcode.unspecific, paramsAt, `optional parameters length ${paramsLength}, but ${r.remaining} octets follow`);
  }
  const capabilities: Capability[] = [];
  while (r.remaining > 0) {
    const at = r.offset;
    const { type, value } = within(ErrorCode.openMessage, OpenSubcode.unspecific, "optional parameter overruns the OPEN", () => {
      const t = r.u8();
      return { type: t, value: r.sub(r.u8()) };
    });
    if (type !== OptionalParameterType.capabilities) {
      bgpFail(ErrorCode.openMessage, OpenSubcode.unsupportedOptionalParameter, at, `optional parameter type ${type} is not Capabilities (2)`);
    }
    readCapabilities(value, capabilities);
  }
  return { value: { type: "open", asn, holdTime, bgpId, capabilities }, bytesRead: length };
}
