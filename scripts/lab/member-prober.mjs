#!/usr/bin/env node
// One node's membership prober in a lab namespace (the compiled src/adapters/probe/memberProber.ts: `npm run build`
// first), on UDP PORT with the run's probe key file, watching the nodes TARGETS names (JSON:
// [{"node","address","incarnation"}]) from the first SIGUSR1 on (so every prober is listening before any judges).
// Events on stdout, one JSON object per line: {"event":"ready"},
// {"event":"verdict",...the judged verdict}, and {"event":"counters",...} every 200 ms. SIGTERM stops it.
//   node member-prober.mjs NODE INCARNATION PORT KEYFILE TARGETS
import { pino } from "pino";
import { startMemberProber } from "../../dist/adapters/probe/memberProber.js";
import { WatchedProbeKeys } from "../../dist/adapters/probe/probeKeyFile.js";

const [node, incarnationText, portText, keyFile, targetsText] = process.argv.slice(2);
if (!node || !(Number(incarnationText) > 0) || !(Number(portText) > 0) || !keyFile || !targetsText) {
  process.stderr.write("usage: member-prober.mjs NODE INCARNATION PORT KEYFILE TARGETS\n");
  process.exit(2);
}
const log = pino({ level: "warn" }, pino.destination(2));
const keys = new WatchedProbeKeys(keyFile, log);
const print = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const prober = await startMemberProber({ node, incarnation: Number(incarnationText), port: Number(portText), keys: () => keys.keyring, reachesLog: () => true, log });
prober.onVerdict((v) => print({ event: "verdict", at: Date.now(), ...v }));
process.once("SIGUSR1", () => prober.setWatched(JSON.parse(targetsText)));
const timer = setInterval(() => print({ event: "counters", health: prober.health(), ...prober.counters }), 200);
print({ event: "ready", port: prober.port });
process.on("SIGTERM", async () => {
  clearInterval(timer);
  keys.close();
  await prober.stop();
  process.exit(0);
});
