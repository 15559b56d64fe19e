// A lab node's side of one BFD session, as a process (dist/lab/bfdPeerProcess.js) run inside the node's namespace:
// the UDP adapter and the pure FSM, nothing else. It prints one JSON line per state change and per parameter change,
// so a test can follow it. Signals: SIGSTOP/SIGCONT freeze and resume it (a node that stops sending), SIGUSR1 applies
// the --then-* intervals to the live session (a Poll Sequence), SIGTERM goes AdminDown, waits, then exits.
//   node bfdPeerProcess.js --peer 198.18.0.1 --local 198.18.0.11 [--multihop] --tx 300 --rx 300 --mult 3 [--passive]
//        [--echo] [--then-tx 100 --then-rx 100] [--min-ttl 253]
// The options are a BFDProfile's fields (milliseconds), turned into session parameters as the speaker will.
import { parseArgs } from "node:util";
import { BfdEndpoint } from "../adapters/bfd/bfdEndpoint.js";
import { profileMinimumTtl, profileTimers } from "../protocols/bfd/profile.js";

const { values: v } = parseArgs({
  options: {
    peer: { type: "string" },
    local: { type: "string" },
    multihop: { type: "boolean", default: false },
    tx: { type: "string", default: "300" },
    rx: { type: "string", default: "300" },
    mult: { type: "string", default: "3" },
    passive: { type: "boolean", default: false },
    echo: { type: "boolean", default: false },
    "min-ttl": { type: "string" },
    "then-tx": { type: "string" },
    "then-rx": { type: "string" },
  },
});

const ms = (name: string, text: string | undefined): number => {
  const n = Number(text);
  if (!Number.isInteger(n) || n < 10 || n > 60_000) throw new Error(`--${name}: ${text} is not 10..60000 ms`);
  return n;
};
if (v.peer === undefined || v.local === undefined) throw new Error("--peer and --local are required");
const profile = {
  transmitInterval: ms("tx", v.tx), receiveInterval: ms("rx", v.rx), detectMultiplier: Number(v.mult), passiveMode: v.passive, echoMode: v.echo,
  ...(v["min-ttl"] === undefined ? {} : { minimumTtl: Number(v["min-ttl"]) }),
};
const timers = profileTimers(profile);
const print = (o: object): void => void process.stdout.write(`${JSON.stringify({ t: Date.now(), ...o })}\n`);

const endpoint = new BfdEndpoint({
  onAction: (peer, a) => {
    if (a.type === "stateChanged") print({ event: "state", peer, from: a.from, to: a.to, diag: a.diag });
  },
});
const session = await endpoint.addPeer({ peerAddress: v.peer, localAddress: v.local, multihop: v.multihop, timers, echoMode: v.echo, ...(v.multihop ? { minimumTtl: profileMinimumTtl(profile) } : {}) });
print({ event: "started", discriminator: session.state.config.localDiscriminator, sourcePort: session.sourcePort, echo: session.echo });

process.on("SIGUSR1", () => {
  const next = profileTimers({ ...profile, transmitInterval: ms("then-tx", v["then-tx"] ?? v.tx), receiveInterval: ms("then-rx", v["then-rx"] ?? v.rx) });
  session.configure(next);
  print({ event: "configured", desiredMinTxUs: next.desiredMinTxUs, requiredMinRxUs: next.requiredMinRxUs });
});
// Poll Sequence results, for the test: what is in effect once the peer has answered.
let wasPolling = false;
setInterval(() => {
  const s = session.state;
  if (wasPolling && !s.polling) print({ event: "pollDone", inEffect: s.inEffect, state: s.state });
  wasPolling = s.polling;
}, 20).unref();
process.on("SIGTERM", () => {
  session.stop();
  setTimeout(() => void endpoint.close().then(() => process.exit(0)), 1500);
});
setInterval(() => undefined, 1 << 30); // keep running until a signal
