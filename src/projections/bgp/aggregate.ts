import { bitsOf, formatIp, type ParsedIp } from "../../net/ip.js";

/** The prefix `ip` is announced as under MetalLB's aggregationLength: host bits cleared ("198.18.0.0/24"). */
export function aggregatePrefix(ip: ParsedIp, length: number): string {
  const bits = bitsOf(ip.family);
  const len = Math.min(Math.max(0, Math.trunc(length)), bits);
  const host = BigInt(bits - len);
  const value = (ip.value >> host) << host;
  return `${formatIp({ family: ip.family, value })}/${len}`;
}
