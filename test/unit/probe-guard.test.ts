import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { AskedProbes, ProbeReplayWindow } from "../../src/protocols/fence/probeGuard.js";
import type { ProbeAnswer } from "../../src/protocols/fence/probeCodec.js";

// Replay rules of the fencing probes: each (incarnation, nonce) of a sender once, nothing of an older incarnation;
// an answer only to a recent probe of this process, from a peer it asked, once.

const p = (from: string, incarnation: number, nonce: number) => ({ from, incarnation, nonce });

describe("probes received: the replay window", () => {
  it.each([
    ["the same probe twice", [p("a", 5, 1), p("a", 5, 1)], [true, false]],
    ["increasing nonces", [p("a", 5, 1), p("a", 5, 2), p("a", 5, 3)], [true, true, true]],
    ["reordered within the window, each once", [p("a", 5, 10), p("a", 5, 8), p("a", 5, 9), p("a", 5, 8)], [true, true, true, false]],
    ["a nonce 64 or more behind the newest", [p("a", 5, 100), p("a", 5, 36), p("a", 5, 37)], [true, false, true]],
    ["a restarted sender (higher incarnation) starts over", [p("a", 5, 9), p("a", 6, 1), p("a", 6, 1)], [true, true, false]],
    ["a probe of an older incarnation after a newer one", [p("a", 6, 1), p("a", 5, 9)], [true, false]],
    ["senders are apart", [p("a", 5, 1), p("b", 5, 1)], [true, true]],
    ["a jump past the window forgets what was behind it", [p("a", 5, 1), p("a", 5, 1_000), p("a", 5, 999), p("a", 5, 1)], [true, true, true, false]],
  ] as const)("%s", (_name, probes, expected) => {
    const w = new ProbeReplayWindow();
    expect(probes.map((x) => w.accept(x))).toEqual(expected);
  });

  it("never accepts one (incarnation, nonce) twice, in any order", () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 200 })), { maxLength: 300 }), (seq) => {
        const w = new ProbeReplayWindow();
        const accepted = new Set<string>();
        for (const [incarnation, nonce] of seq) {
          if (!w.accept(p("a", incarnation, nonce))) continue;
          const key = `${incarnation}/${nonce}`;
          if (accepted.has(key)) return false;
          accepted.add(key);
        }
        return true;
      }),
    );
  });

  it("keeps at most maxSenders, dropping the oldest", () => {
    const w = new ProbeReplayWindow(2);
    w.accept(p("a", 1, 1));
    w.accept(p("b", 1, 1));
    w.accept(p("c", 1, 1));
    expect(w.accept(p("a", 1, 1))).toBe(true); // forgotten, so taken as new
    expect(w.accept(p("c", 1, 1))).toBe(false);
  });
});

describe("answers: only to our own probes", () => {
  const answer = (over: Partial<ProbeAnswer> = {}): ProbeAnswer => ({ t: "answer", from: "n2", to: "n1", incarnation: 42, nonce: 3, logAgeMs: 1, askerSilentMs: 1, ...over });
  const asked = (): AskedProbes => {
    const a = new AskedProbes("n1", 42, 4);
    a.sent(3, ["n2", "n3"]);
    return a;
  };

  it.each([
    ["an answer to a probe sent", answer(), null],
    ["an answer addressed to another node", answer({ to: "n9" }), "misdirected"],
    ["an answer to a nonce never sent", answer({ nonce: 4 }), "unsolicited"],
    ["an answer to an earlier incarnation's probe", answer({ incarnation: 41 }), "unsolicited"],
    ["an answer from a node not asked", answer({ from: "n7" }), "unsolicited"],
  ] as const)("%s -> %s", (_name, a, expected) => {
    expect(asked().check(a)).toBe(expected);
  });

  it("takes each peer's answer once: the second copy is a replay", () => {
    const a = asked();
    expect([a.check(answer()), a.check(answer()), a.check(answer({ from: "n3" }))]).toEqual([null, "replay", null]);
  });

  it("forgets probes older than the last `keep`", () => {
    const a = asked();
    for (let nonce = 4; nonce < 8; nonce++) a.sent(nonce, ["n2"]);
    expect(a.check(answer())).toBe("unsolicited");
    expect(a.check(answer({ nonce: 7 }))).toBe(null);
  });
});
