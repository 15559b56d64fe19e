// Which membership answers this process is waiting for, pure (time comes in). Every ping and ping-request it sends
// gets a fresh nonce and an entry here; an ack or relayed answer is taken only when it echoes this incarnation and an
// outstanding nonce, comes from the node that was asked, and about the node it was asked about, once. Requests it
// receives (pings, ping-requests) go through the fencing guard's replay window (fence/probeGuard.ts).
import { ProbeDrop, type ProbeDropReason } from "../fence/probeGuard.js";
import type { MemberAck, MemberRelayedAnswer } from "./memberCodec.js";

/** Why a probe went out: to judge a watched node, to ask a relay about one, or to relay another node's request. */
export type ProbePurpose =
  | { readonly kind: "direct"; readonly target: string }
  | { readonly kind: "indirect"; readonly via: string; readonly target: string }
  | { readonly kind: "relay"; readonly target: string; readonly asker: string; readonly askerAddress: string; readonly askerPort: number; readonly askerIncarnation: number; readonly askerNonce: number };

type Outstanding = { purpose: ProbePurpose; sentAt: number; answered: boolean };

export type GuardSettings = {
  /** How long an answer is awaited; later ones are dropped as unsolicited. */
  answerWindowMs: number;
  /** How long a relay waits for the target before answering "no reply". */
  relayTimeoutMs: number;
  /** Bound on entries kept (a flood of ping-requests must not grow memory). */
  maxOutstanding: number;
};

export const DEFAULT_GUARD_SETTINGS: GuardSettings = { answerWindowMs: 1_000, relayTimeoutMs: 80, maxOutstanding: 4_096 };

const U32 = 0x1_0000_0000;

export class OutstandingProbes {
  private readonly byNonce = new Map<number, Outstanding>();
  private nonce = 0;

  constructor(
    private readonly node: string,
    private readonly incarnation: number,
    private readonly settings: GuardSettings = DEFAULT_GUARD_SETTINGS,
  ) {}

  /** Records a probe about to be sent; returns its nonce. */
  sent(purpose: ProbePurpose, now: number): number {
    this.nonce = (this.nonce + 1) % U32;
    this.byNonce.delete(this.nonce);
    if (this.byNonce.size >= this.settings.maxOutstanding) {
      const oldest = this.byNonce.keys().next().value;
      if (oldest !== undefined) this.byNonce.delete(oldest);
    }
    this.byNonce.set(this.nonce, { purpose, sentAt: now, answered: false });
    return this.nonce;
  }

  /** The purpose of the ping an ack answers, or why the ack is dropped. */
  takeAck(a: MemberAck): ProbePurpose | ProbeDropReason {
    const entry = this.entryFor(a);
    if (typeof entry === "string") return entry;
    if (entry.purpose.kind === "indirect" || entry.purpose.target !== a.from) return ProbeDrop.unsolicited;
    return this.answer(entry);
  }

  /** The indirect probe a relayed answer closes, or why it is dropped. */
  takeRelayed(a: MemberRelayedAnswer): Extract<ProbePurpose, { kind: "indirect" }> | ProbeDropReason {
    const entry = this.entryFor(a);
    if (typeof entry === "string") return entry;
    const p = entry.purpose;
    if (p.kind !== "indirect" || p.via !== a.from || p.target !== a.target) return ProbeDrop.unsolicited;
    const taken = this.answer(entry);
    return typeof taken === "string" ? taken : p;
  }

  /** Relayed pings whose target has not answered within the relay timeout, each once (to answer "no reply"). */
  dueRelays(now: number): Extract<ProbePurpose, { kind: "relay" }>[] {
    const due: Extract<ProbePurpose, { kind: "relay" }>[] = [];
    for (const [nonce, e] of this.byNonce) {
      const age = now - e.sentAt;
      // A relayed ping that timed out is forgotten: the target's late ack is then unsolicited, as any late answer.
      if (e.purpose.kind === "relay" && !e.answered && age >= this.settings.relayTimeoutMs) {
        this.byNonce.delete(nonce);
        due.push(e.purpose);
      } else if (age > this.settings.answerWindowMs) this.byNonce.delete(nonce);
    }
    return due;
  }

  get size(): number {
    return this.byNonce.size;
  }

  private entryFor(a: MemberAck | MemberRelayedAnswer): Outstanding | ProbeDropReason {
    if (a.to !== this.node) return ProbeDrop.misdirected;
    const entry = a.incarnation === this.incarnation ? this.byNonce.get(a.nonce) : undefined;
    return entry ?? ProbeDrop.unsolicited;
  }

  private answer(entry: Outstanding): ProbePurpose | ProbeDropReason {
    if (entry.answered) return ProbeDrop.replay;
    entry.answered = true;
    return entry.purpose;
  }
}
