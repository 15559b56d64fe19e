// Replay protection for fencing probes, checked after the tag. A probe is fresh when its (incarnation, nonce) was not
// seen from that sender: per sender, the newest incarnation and a window of its last 64 nonces, as IPsec's
// anti-replay window (RFC 4303 3.4.3) does, so reordered datagrams still count. An answer is fresh when it answers a
// recent probe of this very process, from a peer that was asked, once.
import type { ProbeAnswer, ProbeRequest } from "./probeCodec.js";

export const ProbeDrop = {
  malformed: "malformed",
  unknownKey: "unknown-key",
  badTag: "bad-tag",
  replay: "replay",
  unsolicited: "unsolicited",
  misdirected: "misdirected",
} as const;
export type ProbeDropReason = (typeof ProbeDrop)[keyof typeof ProbeDrop];

const WINDOW = 64n;
const MASK = (1n << WINDOW) - 1n;

type SenderWindow = { incarnation: number; top: number; seen: bigint };

/** Probes received: which (incarnation, nonce) each sender has used. Only authenticated senders get an entry. */
export class ProbeReplayWindow {
  private readonly senders = new Map<string, SenderWindow>();

  constructor(private readonly maxSenders = 4096) {}

  /** True (and remembered) when the probe is new; false for a replay, or a probe of an older incarnation. */
  accept(p: Pick<ProbeRequest, "from" | "incarnation" | "nonce">): boolean {
    const w = this.senders.get(p.from);
    if (!w || p.incarnation > w.incarnation) {
      this.remember(p.from, { incarnation: p.incarnation, top: p.nonce, seen: 1n });
      return true;
    }
    if (p.incarnation < w.incarnation) return false;
    if (p.nonce > w.top) {
      const shift = BigInt(Math.min(p.nonce - w.top, 64));
      this.senders.set(p.from, { ...w, top: p.nonce, seen: ((w.seen << shift) | 1n) & MASK });
      return true;
    }
    const back = BigInt(w.top - p.nonce);
    if (back >= WINDOW || (w.seen >> back) & 1n) return false;
    this.senders.set(p.from, { ...w, seen: w.seen | (1n << back) });
    return true;
  }

  private remember(from: string, w: SenderWindow): void {
    this.senders.delete(from);
    if (this.senders.size >= this.maxSenders) {
      const oldest = this.senders.keys().next().value;
      if (oldest !== undefined) this.senders.delete(oldest);
    }
    this.senders.set(from, w);
  }
}

type Asked = { nonce: number; asked: ReadonlySet<string>; answered: Set<string> };

/** Probes this process sent, so only answers to them are taken, each peer's once. */
export class AskedProbes {
  private readonly rounds: Asked[] = [];

  constructor(
    private readonly node: string,
    private readonly incarnation: number,
    private readonly keep = 16,
  ) {}

  sent(nonce: number, peers: readonly string[]): void {
    this.rounds.push({ nonce, asked: new Set(peers), answered: new Set() });
    if (this.rounds.length > this.keep) this.rounds.shift();
  }

  /** null when the answer is taken; otherwise why it is dropped. */
  check(a: ProbeAnswer): ProbeDropReason | null {
    if (a.to !== this.node) return ProbeDrop.misdirected;
    const round = a.incarnation === this.incarnation ? this.rounds.find((r) => r.nonce === a.nonce) : undefined;
    if (!round || !round.asked.has(a.from)) return ProbeDrop.unsolicited;
    if (round.answered.has(a.from)) return ProbeDrop.replay;
    round.answered.add(a.from);
    return null;
  }
}
