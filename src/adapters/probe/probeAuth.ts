import { createHmac, timingSafeEqual } from "node:crypto";
import { isDecodeError } from "../../protocols/codec/errors.js";
import { decodeProbe, PROBE_TAG_BYTES, type ProbeMessage, type ProbeSigner } from "../../protocols/fence/probeCodec.js";
import { ProbeDrop, type ProbeDropReason } from "../../protocols/fence/probeGuard.js";
import type { ProbeKeyring } from "../../protocols/fence/probeKeys.js";

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

type Authenticated = { ok: true; message: ProbeMessage } | { ok: false; reason: ProbeDropReason; detail: string };

/** Decodes a datagram and checks its tag with the key its key id names. Replays are the caller's to check. */
export function authenticateProbe(bytes: Uint8Array, keyring: ProbeKeyring): Authenticated {
  let decoded: ReturnType<typeof decodeProbe>["value"];
  try {
    decoded = decodeProbe(bytes).value;
  } catch (err) {
    if (!isDecodeError(err)) throw err;
    return { ok: false, reason: ProbeDrop.malformed, detail: err.message };
  }
  const secret = keyring.keys.get(decoded.keyId);
  if (!secret) return { ok: false, reason: ProbeDrop.unknownKey, detail: `key id ${decoded.keyId}; this speaker accepts key ids ${[...keyring.keys.keys()].join(", ")}` };
  if (!probeTagMatches(secret, decoded.signed, decoded.tag)) return { ok: false, reason: ProbeDrop.badTag, detail: `the tag does not match key id ${decoded.keyId}` };
  return { ok: true, message: decoded.message };
}
