import { describe, expect, it } from "vitest";
import type { BfdState } from "../../src/protocols/bfd/constants.js";
import { initialPairing, stepPairing, type BfdPairingAction, type BgpGate } from "../../src/protocols/bfd/bgpPairing.js";

// How a BGP session follows its BFD session, as scenarios: BFD state changes in, BGP actions out.

type Step = [to: BfdState, remoteAdminDown: boolean, actions: BfdPairingAction["type"][]];

function run(start: BgpGate, steps: Step[]): { actions: BfdPairingAction["type"][][]; gate: BgpGate } {
  let s = initialPairing(start);
  const actions: BfdPairingAction["type"][][] = [];
  for (const [to, remoteAdminDown] of steps) {
    const r = stepPairing(s, { type: "bfdState", to, remoteAdminDown });
    s = r.state;
    actions.push(r.actions.map((a) => a.type));
  }
  return { actions, gate: s.bgp };
}

describe("BGP paired with BFD", () => {
  it.each<[string, BgpGate, Step[], BgpGate]>([
    ["a new BGP session waits through Init and starts on Up", "waiting", [["init", false, []], ["up", false, ["startBgp"]]], "running"],
    ["BFD Down after Up takes BGP down and holds it until Up again", "waiting", [["up", false, ["startBgp"]], ["down", false, ["stopBgp"]], ["init", false, []], ["up", false, ["startBgp"]]], "running"],
    ["the peer's AdminDown is no failure: BGP stays up", "waiting", [["up", false, ["startBgp"]], ["down", true, []]], "running"],
    ["the peer's AdminDown lets a waiting BGP session connect", "waiting", [["down", true, ["startBgp"]]], "running"],
    ["after the peer's AdminDown, a later Up then Down acts again", "waiting", [["down", true, ["startBgp"]], ["up", false, []], ["down", false, ["stopBgp"]]], "waiting"],
    ["a BGP session running when BFD is added is not dropped while BFD comes up", "running", [["down", false, []], ["init", false, []], ["up", false, []]], "running"],
    ["... but is taken down when that BFD session, once Up, goes Down", "running", [["up", false, []], ["down", false, ["stopBgp"]]], "waiting"],
    ["our own AdminDown (profile removed, stopping) after Up takes nothing down twice", "waiting", [["up", false, ["startBgp"]], ["adminDown", false, ["stopBgp"]], ["adminDown", false, []]], "waiting"],
  ])("%s", (_name, start, steps, gate) => {
    const r = run(start, steps);
    expect(r.actions).toEqual(steps.map((s) => s[2]));
    expect(r.gate).toBe(gate);
  });
});
