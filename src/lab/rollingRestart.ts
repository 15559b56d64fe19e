// A rolling restart of every speaker, one node at a time: SIGTERM (the speaker hands its VIPs over and exits),
// start it again, give it time to rejoin. Used by the lab test and the rolling-restart benchmark.
import type { L2Cluster } from "./l2Cluster.js";

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Restarts every speaker in turn; returns the [from, to] windows of the planned handovers. */
export async function rollingRestart(cluster: L2Cluster, nodes: number, settleMs = 2_000): Promise<[number, number][]> {
  const windows: [number, number][] = [];
  for (let k = 1; k <= nodes; k++) {
    const from = Date.now();
    await cluster.speakers.get(k)?.stop(10_000);
    windows.push([from, Date.now() + 500]);
    cluster.startSpeaker(k);
    await sleep(settleMs);
  }
  return windows;
}
