// The receive TTL check of multihop sessions (RFC 5883 5: "the TTL/Hop Limit of received packets ... SHOULD be
// checked" against what the session expects) as a classic BPF socket filter, one floor per peer: each session's
// BFDProfile.minimumTtl applies to the packets from its peer's address, and packets from any other address need the
// default floor (they match no session and are dropped and counted in user space). Pure: the program is data; the
// adapter attaches it to the multihop receive socket (native/bfdsock.c) whenever the sessions or floors change.
// Linux runs the filter before the datagram is queued, so a packet below its floor never reaches user space.

/** One classic BPF instruction (struct sock_filter). */
export type BpfInstruction = { readonly code: number; readonly jt: number; readonly jf: number; readonly k: number };

export type TtlFloor = { readonly address: string; readonly minTtl: number };

const LD_W_ABS = 0x20;
const LD_B_ABS = 0x30;
const JEQ_K = 0x15;
const JGE_K = 0x35;
const RET_K = 0x06;
/** SKF_NET_OFF: offsets from the start of the IP header. */
const NET_OFF = 0xfff00000;
const ACCEPT = 0x40000;
/** BPF_MAXINSNS. */
export const MAX_FILTER_INSTRUCTIONS = 4096;

const ins = (code: number, k: number, jt = 0, jf = 0): BpfInstruction => ({ code, jt, jf, k: k >>> 0 });

/** The TTL (IPv4, octet 8) or hop limit (IPv6, octet 7) compared with `minTtl`: accept or drop. */
function ttlCheck(family: 4 | 6, minTtl: number): BpfInstruction[] {
  return [ins(LD_B_ABS, NET_OFF + (family === 6 ? 7 : 8)), ins(JGE_K, minTtl, 0, 1), ins(RET_K, ACCEPT), ins(RET_K, 0)];
}

/** The source address as 32-bit words in network order (IPv4: one word at octet 12; IPv6: four from octet 8). */
function sourceWords(family: 4 | 6, address: string): number[] {
  if (family === 4) return [address.split(".").reduce((w, o) => w * 256 + Number(o), 0)];
  const groups = expandIpv6(address);
  return [0, 1, 2, 3].map((i) => ((groups[2 * i] ?? 0) << 16) + (groups[2 * i + 1] ?? 0));
}

function expandIpv6(address: string): number[] {
  const [head = "", tail] = address.split("::");
  const parse = (part: string): number[] => (part === "" ? [] : part.split(":").map((g) => parseInt(g, 16)));
  const h = parse(head);
  const t = tail === undefined ? [] : parse(tail);
  return [...h, ...Array<number>(8 - h.length - t.length).fill(0), ...t];
}

/** One peer's block: on a source mismatch, jump past the block to the next one. */
function peerBlock(family: 4 | 6, floor: TtlFloor): BpfInstruction[] {
  const words = sourceWords(family, floor.address);
  const check = ttlCheck(family, floor.minTtl);
  const out: BpfInstruction[] = [];
  const sourceOffset = family === 6 ? 8 : 12;
  words.forEach((w, i) => {
    const rest = (words.length - 1 - i) * 2 + check.length;
    out.push(ins(LD_W_ABS, NET_OFF + sourceOffset + 4 * i), ins(JEQ_K, w, 0, rest));
  });
  return [...out, ...check];
}

/**
 * The filter program for one multihop receive socket of `family`. Addresses are canonical text of that family. A
 * table too long for the kernel (over 4096 instructions) falls back to the lowest floor for every packet.
 */
export function multihopTtlFilter(family: 4 | 6, floors: readonly TtlFloor[], defaultMinTtl: number): BpfInstruction[] {
  const program = [...floors.flatMap((f) => peerBlock(family, f)), ...ttlCheck(family, defaultMinTtl)];
  if (program.length <= MAX_FILTER_INSTRUCTIONS) return program;
  return ttlCheck(family, Math.min(defaultMinTtl, ...floors.map((f) => f.minTtl)));
}
