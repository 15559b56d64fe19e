// The Internet checksum (RFC 1071) and the IPv6 pseudo-header (RFC 8200 8.1) that ICMPv6 checksums cover.

/** One's-complement sum of the big-endian 16-bit words of bytes[start, end) (an odd last byte is padded), unfolded. */
export function sumWords(bytes: Uint8Array, start: number, end: number, initial = 0): number {
  let sum = initial;
  let i = start;
  for (; i + 1 < end; i += 2) sum += ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
  if (i < end) sum += (bytes[i] as number) << 8;
  return sum;
}

/** Folds a sum to 16 bits and complements it: the value to put in a checksum field. */
export function finishChecksum(sum: number): number {
  let s = sum;
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return ~s & 0xffff;
}

/**
 * The unfolded sum of the IPv6 pseudo-header: source, destination (16 bytes each), upper-layer length (32 bits),
 * three zero bytes, next header.
 */
export function ipv6PseudoHeaderSum(src: Uint8Array, dst: Uint8Array, upperLength: number, nextHeader: number): number {
  let sum = sumWords(src, 0, 16) + sumWords(dst, 0, 16);
  sum += Math.floor(upperLength / 0x10000) + (upperLength & 0xffff);
  return sum + nextHeader;
}

/**
 * The ICMPv6 checksum of the message in bytes[start, end) between `src` and `dst`. The checksum field itself is
 * included as it stands: compute with it zeroed to fill it in; a received message is intact when the result is 0.
 */
export function icmpv6Checksum(src: Uint8Array, dst: Uint8Array, bytes: Uint8Array, start: number, end: number): number {
  return finishChecksum(sumWords(bytes, start, end, ipv6PseudoHeaderSum(src, dst, end - start, 58)));
}
