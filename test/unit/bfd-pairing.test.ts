import { describe, expect, it } from "vitest";
import type { BfdState } from "../../src/protocols/bfd/constants.js";
import { initialPairing, nextPairingDeadline, SILENT_PEER_WAIT_MS, stepPairing, type BgpGate } from "../../src/protocols/bfd/bgpPairing.js";

// How a BGP session follows its BFD session, as scenarios: BFD state changes (or time passing) in, BGP actions out.
// Times are milliseconds since the pairing was made; `tick` is the driver waking at a time.

type Input = [to: BfdState, remoteAdminDown?: boolean] | "tick";
type Step = [atMs: number, input: Input, actions: string[]];

function run(start: BgpGate, steps: Step[]): { actions: string[][]; gate: BgpGate; deadline: number | undefined } {
  let s = initialPairing(start, 0);
  const actions: string[][] = [];
  for (const [at, input] of steps) {
    const r = stepPairing(s, input === "tick" ? { type: "tick" } : { type: "bfdState", to: input[0], remoteAdminDown: input[1] ?? false }, at);
    s = r.state;
    actions.push(r.actions.map((a) => `${a.type}:${a.reason}`));
  }
  return { actions, gate: s.bgp, deadline: nextPairingDeadline(s) };
}

const W = SILENT_PEER_WAIT_MS;

describe("BGP paired with BFD", () => {
  it.each<[string, BgpGate, Step[], BgpGate]>([
    ["a new BGP session waits through Init and starts on Up", "waiting", [[300, ["init"], []], [W + 500, "tick", []], [W + 600, ["up"], ["startBgp:bfdUp"]]], "running"],
    ["a peer whose BFD is silent (FRR, iBGP, before BGP connects) gets BGP after the bound", "waiting", [[W - 1, "tick", []], [W, "tick", ["startBgp:peerSilent"]]], "running"],
    ["... and once BFD has come Up after BGP, its Down takes BGP down", "waiting", [[W, "tick", ["startBgp:peerSilent"]], [W + 900, ["init"], []], [W + 1000, ["up"], []], [W + 5000, ["down"], ["stopBgp:bfdDown"]]], "waiting"],
    ["a peer heard in Init is waited for past the bound", "waiting", [[100, ["init"], []], [10 * W, "tick", []]], "waiting"],
    ["a peer heard and then silent again starts the bound over", "waiting", [[100, ["init"], []], [2000, ["down"], []], [2000 + W - 1, "tick", []], [2000 + W, "tick", ["startBgp:peerSilent"]]], "running"],
    ["BFD Down after Up takes BGP down and holds it until Up again", "waiting", [[500, ["up"], ["startBgp:bfdUp"]], [9000, ["down"], ["stopBgp:bfdDown"]], [9500, ["init"], []], [9900, ["up"], ["startBgp:bfdUp"]]], "running"],
    ["after BFD Down a silent peer (its router restarted) gets BGP after the bound", "waiting", [[500, ["up"], ["startBgp:bfdUp"]], [9000, ["down"], ["stopBgp:bfdDown"]], [9000 + W, "tick", ["startBgp:peerSilent"]]], "running"],
    ["the peer's AdminDown is no failure: BGP stays up", "waiting", [[500, ["up"], ["startBgp:bfdUp"]], [900, ["down", true], []]], "running"],
    ["the peer's AdminDown lets a waiting BGP session connect", "waiting", [[500, ["down", true], ["startBgp:peerAdminDown"]]], "running"],
    ["after the peer's AdminDown, a later Up then Down acts again", "waiting", [[500, ["down", true], ["startBgp:peerAdminDown"]], [900, ["up"], []], [1500, ["down"], ["stopBgp:bfdDown"]]], "waiting"],
    ["a BGP session running when BFD is added is not dropped while BFD comes up", "running", [[100, ["down"], []], [200, ["init"], []], [10 * W, "tick", []], [10 * W + 1, ["up"], []]], "running"],
    ["... but is taken down when that BFD session, once Up, goes Down", "running", [[100, ["up"], []], [200, ["down"], ["stopBgp:bfdDown"]]], "waiting"],
    ["our own AdminDown (profile removed, stopping) after Up takes nothing down twice", "waiting", [[100, ["up"], ["startBgp:bfdUp"]], [200, ["adminDown"], ["stopBgp:bfdDown"]], [300, ["adminDown"], []]], "waiting"],
  ])("%s", (_name, start, steps, gate) => {
    const r = run(start, steps);
    expect(r.actions).toEqual(steps.map((s) => s[2]));
    expect(r.gate).toBe(gate);
  });

  it("the driver is woken only while a BGP session waits on a silent peer", () => {
    expect(nextPairingDeadline(initialPairing("waiting", 1000))).toBe(1000 + W);
    expect(nextPairingDeadline(initialPairing("running", 1000))).toBeUndefined();
    expect(run("waiting", [[100, ["init"], []]]).deadline).toBeUndefined();
    expect(run("waiting", [[100, ["up"], ["startBgp:bfdUp"]], [200, ["down"], ["stopBgp:bfdDown"]]]).deadline).toBe(200 + W);
  });
});
