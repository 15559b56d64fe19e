import { describe, expect, it } from "vitest";
import type { MemberAck, MemberRelayedAnswer } from "../../src/protocols/membership/memberCodec.js";
import { OutstandingProbes } from "../../src/protocols/membership/memberGuard.js";

// Which answers a prober takes: only those echoing its incarnation and an outstanding nonce, from the node asked,
// about the node asked about, once; everything else is dropped under a reason.

const INC = 1_700_000_000_000;
const ack = (nonce: number, over: Partial<MemberAck> = {}): MemberAck => ({ t: "ack", from: "b", to: "a", incarnation: INC, nonce, targetIncarnation: 3, health: 0, reachesLog: true, ...over });
const relayed = (nonce: number, over: Partial<MemberRelayedAnswer> = {}): MemberRelayedAnswer => ({ t: "relayed", from: "c", to: "a", incarnation: INC, nonce, target: "b", replied: false, targetIncarnation: 0, health: 0, reachesLog: false, ...over });

describe("outstanding membership probes", () => {
  it("takes the ack of a ping once; a second copy is a replay", () => {
    const g = new OutstandingProbes("a", INC);
    const nonce = g.sent({ kind: "direct", target: "b" }, 0);
    expect(g.takeAck(ack(nonce))).toEqual({ kind: "direct", target: "b" });
    expect(g.takeAck(ack(nonce))).toBe("replay");
  });

  it.each([
    ["addressed to another node", ack(1, { to: "x" }), "misdirected"],
    ["for another incarnation of this node", ack(1, { incarnation: INC - 1 }), "unsolicited"],
    ["for a nonce never sent", ack(99), "unsolicited"],
    ["from a node that was not pinged", ack(1, { from: "c" }), "unsolicited"],
  ])("drops an ack %s", (_name, a, reason) => {
    const g = new OutstandingProbes("a", INC);
    expect(g.sent({ kind: "direct", target: "b" }, 0)).toBe(1);
    expect(g.takeAck(a)).toBe(reason);
  });

  it("takes a relayed answer only from the relay asked, about the target asked about", () => {
    const g = new OutstandingProbes("a", INC);
    const nonce = g.sent({ kind: "indirect", via: "c", target: "b" }, 0);
    expect(g.takeAck(ack(nonce, { from: "c" }))).toBe("unsolicited");
    expect(g.takeRelayed(relayed(nonce, { from: "d" }))).toBe("unsolicited");
    expect(g.takeRelayed(relayed(nonce, { target: "x" }))).toBe("unsolicited");
    expect(g.takeRelayed(relayed(nonce))).toEqual({ kind: "indirect", via: "c", target: "b" });
    expect(g.takeRelayed(relayed(nonce))).toBe("replay");
  });

  it("answers each relayed ping's asker 'no reply' once after the relay timeout, and then forgets it", () => {
    const g = new OutstandingProbes("a", INC);
    const purpose = { kind: "relay", target: "b", asker: "c", askerAddress: "198.18.0.3", askerPort: 7946, askerIncarnation: 5, askerNonce: 9 } as const;
    const nonce = g.sent(purpose, 100);
    const answered = g.sent({ ...purpose, askerNonce: 10 }, 100);
    expect(g.takeAck(ack(answered))).toMatchObject({ askerNonce: 10 });
    expect(g.dueRelays(179)).toEqual([]);
    expect(g.dueRelays(180)).toEqual([purpose]);
    expect(g.dueRelays(181)).toEqual([]);
    expect(g.takeAck(ack(nonce))).toBe("unsolicited");
  });

  it("forgets probes older than the answer window, and keeps at most maxOutstanding", () => {
    const g = new OutstandingProbes("a", INC, { answerWindowMs: 1_000, relayTimeoutMs: 80, maxOutstanding: 3 });
    const first = g.sent({ kind: "direct", target: "b" }, 0);
    for (let i = 0; i < 3; i++) g.sent({ kind: "direct", target: "b" }, 0);
    expect(g.size).toBe(3);
    expect(g.takeAck(ack(first))).toBe("unsolicited");
    const late = g.sent({ kind: "direct", target: "b" }, 0);
    g.dueRelays(1_001);
    expect(g.size).toBe(0);
    expect(g.takeAck(ack(late))).toBe("unsolicited");
  });
});
