// Link and IPv4 addresses as canonical strings on the wire boundary: MAC "aa:bb:cc:dd:ee:ff" (lowercase),
// IPv4 "198.18.0.1" (dotted decimal, no leading zeros). Decoders always produce the canonical form; encoders accept
// only the canonical form, so a string compare is an address compare everywhere above the codec.
import { EncodeError } from "./errors.js";
import type { ByteReader } from "./reader.js";
import type { ByteWriter } from "./writer.js";

export const BROADCAST_MAC = "ff:ff:ff:ff:ff:ff";
export const ZERO_MAC = "00:00:00:00:00:00";
export const ZERO_IPV4 = "0.0.0.0";

const MAC_RE = /^[0-9a-f]{2}(:[0-9a-f]{2}){5}$/;
const OCTET_RE = /^(0|[1-9][0-9]{0,2})$/;
const HEX = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, "0"));

export function isMac(text: string): boolean {
  return MAC_RE.test(text);
}

/** Canonical form of a MAC typed by a person: accepts upper case and '-' separators. Throws EncodeError. */
export function normalizeMac(text: string, field = "mac"): string {
  const canonical = text.toLowerCase().replaceAll("-", ":");
  if (!MAC_RE.test(canonical)) throw new EncodeError("INVALID_MAC", field, `"${text}" is not a 6-byte MAC address`);
  return canonical;
}

/** True for group (multicast/broadcast) MACs: the I/G bit of the first octet. */
export function isGroupMac(mac: string): boolean {
  return (parseInt(mac.slice(0, 2), 16) & 1) === 1;
}

export function macToBytes(mac: string, field = "mac"): Uint8Array {
  if (!MAC_RE.test(mac)) throw new EncodeError("INVALID_MAC", field, `"${mac}" is not a canonical lowercase MAC`);
  return Uint8Array.from(mac.split(":"), (h) => parseInt(h, 16));
}

export function macFromBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => HEX[b] as string).join(":");
}

export function isIpv4(text: string): boolean {
  const parts = text.split(".");
  return parts.length === 4 && parts.every((p) => OCTET_RE.test(p) && Number(p) <= 255);
}

export function ipv4ToBytes(ip: string, field = "ipv4"): Uint8Array {
  if (!isIpv4(ip)) throw new EncodeError("INVALID_IPV4", field, `"${ip}" is not a dotted-decimal IPv4 address`);
  return Uint8Array.from(ip.split("."), Number);
}

export function ipv4FromBytes(bytes: Uint8Array): string {
  return Array.from(bytes).join(".");
}

export function readMac(r: ByteReader): string {
  return macFromBytes(r.bytesView(6));
}

export function readIpv4(r: ByteReader): string {
  return ipv4FromBytes(r.bytesView(4));
}

export function writeMac(w: ByteWriter, mac: string, field: string): void {
  w.bytes(macToBytes(mac, field));
}

export function writeIpv4(w: ByteWriter, ip: string, field: string): void {
  w.bytes(ipv4ToBytes(ip, field));
}
