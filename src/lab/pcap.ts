// Minimal pcap reader and ARP / NDP (neighbor advertisement) decoder for the lab's switch capture.

export interface PcapRecord {
  /** Capture time, epoch milliseconds (fractional). */
  t: number;
  frame: Buffer;
}

/** Parses a classic pcap file (µs or ns timestamps, either byte order). A truncated last record is ignored. */
export function parsePcap(buf: Buffer): PcapRecord[] {
  if (buf.length < 24) return [];
  const magicLE = buf.readUInt32LE(0);
  let le: boolean;
  let nanos: boolean;
  if (magicLE === 0xa1b2c3d4 || magicLE === 0xa1b23c4d) {
    le = true;
    nanos = magicLE === 0xa1b23c4d;
  } else {
    const magicBE = buf.readUInt32BE(0);
    if (magicBE !== 0xa1b2c3d4 && magicBE !== 0xa1b23c4d) throw new Error("pcap: bad magic");
    le = false;
    nanos = magicBE === 0xa1b23c4d;
  }
  const u32 = (off: number): number => (le ? buf.readUInt32LE(off) : buf.readUInt32BE(off));
  const out: PcapRecord[] = [];
  let off = 24;
  while (off + 16 <= buf.length) {
    const sec = u32(off);
    const frac = u32(off + 4);
    const incl = u32(off + 8);
    if (off + 16 + incl > buf.length) break;
    out.push({ t: sec * 1000 + (nanos ? frac / 1e6 : frac / 1e3), frame: buf.subarray(off + 16, off + 16 + incl) });
    off += 16 + incl;
  }
  return out;
}

export type NeighborKind = "arp-request" | "arp-reply" | "ndp-ns" | "ndp-na";

export interface NeighborPacket {
  t: number;
  kind: NeighborKind;
  ethSrc: string;
  ethDst: string;
  /** ARP: sender hw/proto address. NDP NA: target link-layer option (or ethSrc) and the target address. */
  senderMac: string;
  senderIp: string;
  /** ARP: target proto address. NDP: target address. */
  targetIp: string;
}

export const macStr = (b: Buffer, off: number): string =>
  [...b.subarray(off, off + 6)].map((x) => x.toString(16).padStart(2, "0")).join(":");

const ip4Str = (b: Buffer, off: number): string => [...b.subarray(off, off + 4)].join(".");

function ip6Str(b: Buffer, off: number): string {
  const groups: string[] = [];
  for (let i = 0; i < 8; i++) groups.push(b.readUInt16BE(off + 2 * i).toString(16));
  // Compress the longest run of zero groups (RFC 5952).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (groups[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && groups[j] === "0") j++;
    if (j - i > bestLen && j - i > 1) [best, bestLen] = [i, j - i];
    i = j;
  }
  if (best < 0) return groups.join(":");
  return `${groups.slice(0, best).join(":")}::${groups.slice(best + bestLen).join(":")}`;
}

/** Decodes an Ethernet frame carrying ARP or an ICMPv6 neighbor solicitation/advertisement. */
export function decodeNeighbor(rec: PcapRecord): NeighborPacket | undefined {
  const f = rec.frame;
  if (f.length < 14) return undefined;
  let off = 12;
  let ethertype = f.readUInt16BE(off);
  while ((ethertype === 0x8100 || ethertype === 0x88a8) && f.length >= off + 6) {
    off += 4;
    ethertype = f.readUInt16BE(off);
  }
  off += 2;
  const ethDst = macStr(f, 0);
  const ethSrc = macStr(f, 6);
  if (ethertype === 0x0806) {
    if (f.length < off + 28 || f.readUInt16BE(off + 2) !== 0x0800 || f[off + 4] !== 6 || f[off + 5] !== 4) return undefined;
    const op = f.readUInt16BE(off + 6);
    if (op !== 1 && op !== 2) return undefined;
    return {
      t: rec.t,
      kind: op === 1 ? "arp-request" : "arp-reply",
      ethSrc,
      ethDst,
      senderMac: macStr(f, off + 8),
      senderIp: ip4Str(f, off + 14),
      targetIp: ip4Str(f, off + 24),
    };
  }
  if (ethertype === 0x86dd) {
    if (f.length < off + 40 + 24 || f[off + 6] !== 58) return undefined; // no extension headers in NDP
    const icmp = off + 40;
    const type = f[icmp];
    if (type !== 135 && type !== 136) return undefined;
    const target = ip6Str(f, icmp + 8);
    let senderMac = ethSrc;
    for (let o = icmp + 24; o + 8 <= f.length; ) {
      const optType = f[o];
      const optLen = (f[o + 1] ?? 0) * 8;
      if (optLen === 0) break;
      if ((optType === 2 && type === 136) || (optType === 1 && type === 135)) senderMac = macStr(f, o + 2);
      o += optLen;
    }
    return {
      t: rec.t,
      kind: type === 135 ? "ndp-ns" : "ndp-na",
      ethSrc,
      ethDst,
      senderMac,
      senderIp: type === 136 ? target : ip6Str(f, off + 8),
      targetIp: target,
    };
  }
  return undefined;
}
