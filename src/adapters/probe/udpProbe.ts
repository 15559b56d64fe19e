import { createSocket, type Socket } from "node:dgram";
import type { Logger } from "pino";
import { decodeProbe, encodeProbe, ProbeDecodeError, type ProbeMessage } from "../../protocols/fence/probeCodec.js";

export type ProbeEndpointOptions = {
  node: string;
  port: number;
  /** What this node tells a peer that asks: its own log age and how long it has not heard the asker. */
  answerFor: (asker: string) => { logAgeMs: number; askerSilentMs: number };
  onAnswer: (answer: Extract<ProbeMessage, { t: "answer" }>) => void;
  log: Logger;
};

export type ProbeCounters = { probesSent: number; probesAnswered: number; answersReceived: number; malformed: number; sendErrors: number };

export type ProbeEndpoint = { send: (nonce: number, targets: readonly string[]) => void; counters: ProbeCounters; close: () => Promise<void> };

/** The UDP side of fencing: asks peers about the log and answers their questions. IPv4 for now. */
export async function startProbeEndpoint(opts: ProbeEndpointOptions): Promise<ProbeEndpoint> {
  const counters: ProbeCounters = { probesSent: 0, probesAnswered: 0, answersReceived: 0, malformed: 0, sendErrors: 0 };
  const socket: Socket = createSocket({ type: "udp4", reuseAddr: true });
  const send = (bytes: Uint8Array, port: number, address: string): void => {
    socket.send(bytes, port, address, (err) => {
      if (err) counters.sendErrors++;
    });
  };
  socket.on("message", (bytes, rinfo) => {
    let message: ProbeMessage;
    try {
      message = decodeProbe(bytes);
    } catch (err) {
      if (!(err instanceof ProbeDecodeError)) throw err;
      counters.malformed++;
      opts.log.debug({ from: rinfo.address, err: err.message }, "malformed probe dropped");
      return;
    }
    if (message.t === "probe") {
      counters.probesAnswered++;
      send(encodeProbe({ t: "answer", from: opts.node, nonce: message.nonce, ...opts.answerFor(message.from) }), rinfo.port, rinfo.address);
    } else {
      counters.answersReceived++;
      opts.onAnswer(message);
    }
  });
  socket.on("error", (err) => opts.log.warn({ err: err.message }, "probe socket error"));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(opts.port, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  return {
    counters,
    send(nonce, targets) {
      const bytes = encodeProbe({ t: "probe", from: opts.node, nonce });
      for (const target of targets) {
        counters.probesSent++;
        send(bytes, opts.port, target);
      }
    },
    close: () => new Promise<void>((resolve) => socket.close(() => resolve())),
  };
}
