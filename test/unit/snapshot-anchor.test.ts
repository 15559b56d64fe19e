import { describe, expect, it } from "vitest";
import { emptyLogState } from "../../src/projections/logState.js";
import { decodeSnapshot, encodeSnapshot, messageDigest, snapshotAnchorProblem } from "../../src/projections/snapshot.js";

// A snapshot records the digest of the EVENTS message at its sequence and of its state; a reader checks both before
// trusting it (the integration test, test/integration/snapshot-trust.test.ts, runs the agents against a real server).

const bytes = (t: string): Uint8Array => new TextEncoder().encode(t);
const stored = { subject: "vipmesh.ev.config.file", data: bytes('{"type":"ConfigApplied"}') };
const state = { ...emptyLogState(), seq: 7, time: 1_000 };
const digest = messageDigest(7, stored.subject, stored.data);

describe("snapshot digests", () => {
  it("round-trips with the digest of the message it covers, and the anchor matches that message", () => {
    const snap = decodeSnapshot(encodeSnapshot(state, digest));
    expect(snap.messageSha256).toBe(digest);
    expect(snap.state).toEqual(state);
    expect(snapshotAnchorProblem(snap, stored)).toBeNull();
  });

  it("the message digest covers its sequence, subject and bytes", () => {
    expect(messageDigest(8, stored.subject, stored.data)).not.toBe(digest);
    expect(messageDigest(7, "vipmesh.ev.config.kubernetes", stored.data)).not.toBe(digest);
    expect(messageDigest(7, stored.subject, bytes('{"type":"ConfigApplied" }'))).not.toBe(digest);
  });

  it.each([
    ["no digest recorded", encodeSnapshot(state, null), stored, /records no digest/],
    ["no message at its sequence", encodeSnapshot(state, digest), null, /no message at sequence 7/],
    ["another message at its sequence", encodeSnapshot(state, digest), { ...stored, data: bytes("{}") }, /does not match the snapshot's digest/],
  ] as const)("is not trusted with %s", (_name, text, message, why) => {
    expect(snapshotAnchorProblem(decodeSnapshot(text), message)).toMatch(why);
  });

  it("a state edited without its digest does not decode", () => {
    const text = encodeSnapshot(state, digest).replace('"time":1000', '"time":2000');
    expect(() => decodeSnapshot(text)).toThrow(/state does not match its digest/);
    expect(() => decodeSnapshot(encodeSnapshot(state, "not-a-digest"))).toThrow(/not a SHA-256/);
  });
});
