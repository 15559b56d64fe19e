import { createHmac, timingSafeEqual } from "node:crypto";
import { isDecodeError } from "../../protocols/codec/errors.js";
import { decodeProbe, PROBE_TAG_BYTES, type ProbeMessage, type ProbeSigner } from "../../protocols/fence/probeCodec.js";
import { ProbeDrop, type ProbeDropReason } from "../../protocols/fence/probeGuard.js";
import type { ProbeKeyring } from "../../protocols/fence/probeKeys.js";
import { decodeMember, type MemberMessage } from "../../protocols/membership/memberCodec.js";

/** HMAC-SHA256 with `secret`, the tag every fencing probe and answer carries. */
export const probeSigner = (secret: Uint8Array): ProbeSigner => (signed) => createHmac("sha256", secret).update(signed).digest();

/** The signer of the keyring's sending key. */
export function sendingSigner(keyring: ProbeKeyring): ProbeSigner {
  const secret = keyring.keys.get(keyring.sendId);
  if (!secret) throw new Error(`probe keyring has no secret for its sending key id ${keyring.sendId}`);
  return probeSigner(secret);
}

/** Compares in constant time, so the time to reject a forged tag says nothing about how much of it was right. */
function probeTagMatches(secret: Uint8Array, signed: Uint8Array, tag: Uint8Array): boolean {
  return tag.length === PROBE_TAG_BYTES && timingSafeEqual(probeSigner(secret)(signed), tag);
}

type Dropped = { ok: false; reason: ProbeDropReason; detail: string };
type Authenticated<M> = { ok: true; message: M } | Dropped;

/** Checks a decoded datagram's tag with the key its key id names: null when genuine, otherwise why it is dropped. */
function checkTag(keyring: ProbeKeyring, d: { keyId: number; signed: Uint8Array; tag: Uint8Array }): Dropped | null {
  const secret = keyring.keys.get(d.keyId);
  if (!secret) return { ok: false, reason: ProbeDrop.unknownKey, detail: `key id ${d.keyId}; this speaker accepts key ids ${[...keyring.keys.keys()].join(", ")}` };
  if (!probeTagMatches(secret, d.signed, d.tag)) return { ok: false, reason: ProbeDrop.badTag, detail: `the tag does not match key id ${d.keyId}` };
  return null;
}

function authenticate<M>(bytes: Uint8Array, keyring: ProbeKeyring, decode: (b: Uint8Array) => { keyId: number; signed: Uint8Array; tag: Uint8Array; message: M }): Authenticated<M> {
  let decoded: ReturnType<typeof decode>;
  try {
    decoded = decode(bytes);
  } catch (err) {
    if (!isDecodeError(err)) throw err;
    return { ok: false, reason: ProbeDrop.malformed, detail: err.message };
  }
  return checkTag(keyring, decoded) ?? { ok: true, message: decoded.message };
}

/** Decodes a fencing datagram and checks its tag with the key its key id names. Replays are the caller's to check. */
export const authenticateProbe = (bytes: Uint8Array, keyring: ProbeKeyring): Authenticated<ProbeMessage> => authenticate(bytes, keyring, (b) => decodeProbe(b).value);

/** The same for a membership datagram (memberCodec.ts). */
export const authenticateMember = (bytes: Uint8Array, keyring: ProbeKeyring): Authenticated<MemberMessage> => authenticate(bytes, keyring, (b) => decodeMember(b).value);
