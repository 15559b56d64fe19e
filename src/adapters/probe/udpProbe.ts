import type { Logger } from "pino";
import { encodeProbe, type ProbeAnswer, type ProbeMessage } from "../../protocols/fence/probeCodec.js";
import { AskedProbes, ProbeDrop, ProbeReplayWindow, type ProbeDropReason } from "../../protocols/fence/probeGuard.js";
import type { ProbeKeyring } from "../../protocols/fence/probeKeys.js";
import { authenticateProbe, sendingSigner } from "./probeAuth.js";
import { dropCounter, noDrops } from "./probeDrops.js";
import { openProbeSocket, type ProbeSocket } from "./probeSocket.js";

export type ProbeEndpointOptions = {
  node: string;
  /** This process's incarnation (its start time in ms): probes carry it, answers must echo it. */
  incarnation: number;
  /** The port to bind a socket of its own on, unless `socket` is given. */
  port: number;
  /** A socket shared with the membership prober (it takes the datagrams membership does not); not closed here. */
  socket?: ProbeSocket;
  /** The keys in force now (read on every datagram, so a reloaded key file applies at once). */
  keys: () => ProbeKeyring;
  /** What this node tells a peer that asks: its own log age and how long it has not heard the asker. */
  answerFor: (asker: string) => { logAgeMs: number; askerSilentMs: number };
  onAnswer: (answer: ProbeAnswer) => void;
  log: Logger;
};

/** A peer to ask; `port` defaults to this endpoint's own (every speaker of a cluster uses one probe port). */
export type ProbeTarget = { node: string; address: string; port?: number };

export type ProbeCounters = {
  probesSent: number;
  probesAnswered: number;
  answersReceived: number;
  sendErrors: number;
  dropped: Record<ProbeDropReason, number>;
};

export type ProbeEndpoint = {
  send: (nonce: number, targets: readonly ProbeTarget[]) => void;
  counters: ProbeCounters;
  /** The port bound (the one asked for, or the kernel's choice for 0). */
  port: number;
  close: () => Promise<void>;
};

const U32_MAX = 0xffff_ffff;
const wholeMs = (ms: number): number => Math.min(U32_MAX, Math.max(0, Math.round(ms)));

/**
 * The UDP side of fencing: asks peers about the log and answers their questions. Every datagram is signed; one that
 * is malformed, signed with an unknown key or a wrong tag, replayed, not answering a probe of ours, or addressed to
 * another node is dropped, counted by reason, and logged at warn once a minute per reason and sender address.
 */
export async function startProbeEndpoint(opts: ProbeEndpointOptions): Promise<ProbeEndpoint> {
  const counters: ProbeCounters = { probesSent: 0, probesAnswered: 0, answersReceived: 0, sendErrors: 0, dropped: noDrops() };
  const drop = dropCounter(counters.dropped, opts.log, "fencing probe dropped");
  const seen = new ProbeReplayWindow();
  const asked = new AskedProbes(opts.node, opts.incarnation);
  // A node name the wire cannot carry fails here, at start, not on the first probe.
  encodeProbe({ t: "probe", from: opts.node, to: opts.node, incarnation: opts.incarnation, nonce: 0 }, opts.keys().sendId, sendingSigner(opts.keys()));
  const own = opts.socket ? null : await openProbeSocket(opts.port, opts.log);
  const socket = opts.socket ?? (own as ProbeSocket);

  const sendBytes = (bytes: Uint8Array, port: number, address: string): void => {
    socket.send(bytes, port, address, (err) => {
      if (err) counters.sendErrors++;
    });
  };
  const sign = (m: ProbeMessage): Uint8Array => {
    const keyring = opts.keys();
    return encodeProbe(m, keyring.sendId, sendingSigner(keyring));
  };

  const unroute = socket.route(null, (bytes, rinfo) => {
    const result = authenticateProbe(bytes, opts.keys());
    if (!result.ok) return drop(result.reason, rinfo, result.detail);
    const m = result.message;
    if (m.t === "answer") {
      const refused = asked.check(m);
      if (refused) return drop(refused, rinfo, `answer from ${m.from} to ${m.to}, incarnation ${m.incarnation}, nonce ${m.nonce}`);
      counters.answersReceived++;
      return opts.onAnswer(m);
    }
    if (m.to !== opts.node) return drop(ProbeDrop.misdirected, rinfo, `a probe from ${m.from} for ${m.to}`);
    if (!seen.accept(m)) return drop(ProbeDrop.replay, rinfo, `probe from ${m.from}, incarnation ${m.incarnation}, nonce ${m.nonce} seen before`);
    counters.probesAnswered++;
    const facts = opts.answerFor(m.from);
    const answer = { t: "answer", from: opts.node, to: m.from, incarnation: m.incarnation, nonce: m.nonce, logAgeMs: wholeMs(facts.logAgeMs), askerSilentMs: wholeMs(facts.askerSilentMs) } as const;
    sendBytes(sign(answer), rinfo.port, rinfo.address);
  });
  return {
    counters,
    port: socket.port,
    send(nonce, targets) {
      asked.sent(nonce, targets.map((t) => t.node));
      for (const target of targets) {
        counters.probesSent++;
        sendBytes(sign({ t: "probe", from: opts.node, to: target.node, incarnation: opts.incarnation, nonce }), target.port ?? opts.port, target.address);
      }
    },
    close: async () => {
      unroute();
      await own?.close();
    },
  };
}
