// Restarting or not (RFC 4724, restarting speaker), decided from the log alone: this node's last lifecycle event with
// its stream time, against the stream time of the new process's first heartbeat. Restart time 120 s, grace 10 s.
import { describe, expect, it } from "vitest";
import { previousStopOf, restartDecision, type PreviousStop } from "../../src/agents/speaker/bgpRestart.js";

const T = 1_700_000_000_000; // log time of the previous stop
const NEW = 1_700_000_100_000; // incarnation of the new process
const restarting = (at = T, incarnation = 1_699_000_000_000): PreviousStop => ({ kind: "restarting", incarnation, graceMs: 10_000, at });
const left: PreviousStop = { kind: "left", incarnation: 1_699_000_000_000, at: T };

describe("restart decision (R and F bits of the first sessions)", () => {
  it.each([
    ["nothing on the log: a fresh start", null, T + 1_000, { restarting: false, forwarding: false, remainingMs: 0 }],
    ["the previous process left (NodeLeft)", left, T + 1_000, { restarting: false, forwarding: false, remainingMs: 0 }],
    ["a restart in place, back within the grace: R=1, F=1", restarting(), T + 2_500, { restarting: true, forwarding: true, remainingMs: 117_500 }],
    ["back exactly at the end of the grace: still F=1", restarting(), T + 10_000, { restarting: true, forwarding: true, remainingMs: 110_000 }],
    ["back after the grace but within the restart time: R=1, F=0", restarting(), T + 10_001, { restarting: true, forwarding: false, remainingMs: 109_999 }],
    ["back after the restart time: peers flushed the routes, a fresh start", restarting(), T + 120_000, { restarting: false, forwarding: false, remainingMs: 0 }],
    ["log time of the heartbeat before the stop's (skew): counts as back at once", restarting(), T - 50, { restarting: true, forwarding: true, remainingMs: 120_000 }],
    ["a NodeRestarting of this very (or a later) incarnation is not an earlier process", restarting(T, NEW), T + 1_000, { restarting: false, forwarding: false, remainingMs: 0 }],
  ] as const)("%s", (_name, previous, now, want) => {
    expect(restartDecision(previous, { incarnation: NEW, now }, 120)).toMatchObject(want);
  });

  it("a restart time of 0 never sets R", () => {
    expect(restartDecision(restarting(), { incarnation: NEW, now: T }, 0).restarting).toBe(false);
  });

  it("every decision says why", () => {
    expect(restartDecision(restarting(), { incarnation: NEW, now: T + 20_000 }, 120).reason).toMatch(/past the 10000 ms grace/);
    expect(restartDecision(null, { incarnation: NEW, now: T }, 120).reason).toMatch(/no earlier stop/);
  });

  it("reads the node's lifecycle events as the previous stop, with the log time given", () => {
    expect(previousStopOf({ type: "NodeRestarting", data: { node: "n1", incarnation: 5, graceMs: 10_000 } }, T)).toEqual({ kind: "restarting", incarnation: 5, graceMs: 10_000, at: T });
    expect(previousStopOf({ type: "NodeLeft", data: { node: "n1", incarnation: 5, reason: "shutdown" } }, T)).toEqual({ kind: "left", incarnation: 5, at: T });
  });
});
