import { describe, expect, it } from "vitest";
import type { BfdState } from "../../src/protocols/bfd/constants.js";
import { initialPairing, nextPairingDeadline, SILENT_PEER_WAIT_MS, stepPairing, type BfdPairingState, type BgpGate, type PairingOptions } from "../../src/protocols/bfd/bgpPairing.js";
import type { DampeningConfig } from "../../src/protocols/bfd/dampening.js";

// How a BGP session follows its BFD session, as scenarios: BFD state changes (or time passing) in, BGP actions out.
// Times are milliseconds since the pairing was made; `tick` is the driver waking at a time.

type Input = [to: BfdState, remoteAdminDown?: boolean] | "tick";
type Step = [atMs: number, input: Input, actions: string[]];

function run(start: BgpGate, steps: Step[], o: PairingOptions = {}): { actions: string[][]; gate: BgpGate; deadline: number | undefined; state: BfdPairingState } {
  let s = initialPairing(start, 0);
  const actions: string[][] = [];
  for (const [at, input] of steps) {
    const r = stepPairing(s, input === "tick" ? { type: "tick" } : { type: "bfdState", to: input[0], remoteAdminDown: input[1] ?? false }, at, o);
    s = r.state;
    actions.push(r.actions.map((a) => `${a.type}:${a.reason}`));
  }
  return { actions, gate: s.bgp, deadline: nextPairingDeadline(s), state: s };
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

// Half-life 10 s, penalty 1000, suppress 2000, reuse 750: two flaps close together suppress; three flaps 1 s apart
// leave a penalty of about 2,860, which decays to 750 about 19.3 s after the last flap.
const DAMPING: DampeningConfig = { halfLifeMs: 10_000, penalty: 1000, suppressThreshold: 2000, reuseThreshold: 750, maxSuppressMs: 40_000 };
/** Three flaps within a second, the last at 1,300 ms: suppressed from then on (penalty about 2,940). */
const THREE_FLAPS: Step[] = [500, 1000, 1200].flatMap((at): Step[] => [[at, ["up"], ["startBgp:bfdUp"]], [at === 500 ? 800 : at + 100, ["down"], ["stopBgp:bfdDown"]]]);

describe("BGP paired with a dampened BFD session", () => {
  it("rejoins after each flap while the penalty stays below the suppress threshold", () => {
    const steps: Step[] = [[500, ["up"], ["startBgp:bfdUp"]], [800, ["down"], ["stopBgp:bfdDown"]], [30_000, ["up"], ["startBgp:bfdUp"]], [30_300, ["down"], ["stopBgp:bfdDown"]], [60_000, ["up"], ["startBgp:bfdUp"]]];
    const r = run("waiting", steps, { dampening: DAMPING });
    expect(r.actions).toEqual(steps.map((s) => s[2]));
    expect(r.gate).toBe("running");
  });

  it("a second flap soon after the first suppresses: BFD Up no longer starts BGP, until the penalty decays to reuse", () => {
    const steps: Step[] = [
      [500, ["up"], ["startBgp:bfdUp"]],
      [800, ["down"], ["stopBgp:bfdDown"]],
      [1_500, ["up"], ["startBgp:bfdUp"]],
      [1_800, ["down"], ["stopBgp:bfdDown"]], // penalty 1,933: below the suppress threshold
      [2_500, ["up"], ["startBgp:bfdUp"]],
      [2_800, ["down"], ["stopBgp:bfdDown"]], // 2,804: suppressed
      [3_500, ["up"], []],
      [15_000, "tick", []],
      [15_100, ["down", true], []],
      [15_200, ["up"], []],
    ];
    const r = run("waiting", steps, { dampening: DAMPING });
    expect(r.actions).toEqual(steps.map((s) => s[2]));
    expect(r.gate).toBe("waiting");
    const until = r.deadline ?? 0;
    expect(until).toBeGreaterThan(20_000);
    expect(until).toBeLessThan(2_800 + DAMPING.maxSuppressMs);
    // Woken at the reuse time with BFD Up: BGP starts at once.
    const at = stepPairing(r.state, { type: "tick" }, until - 1, { dampening: DAMPING });
    expect(at.actions).toEqual([]);
    const reused = stepPairing(at.state, { type: "tick" }, until, { dampening: DAMPING });
    expect(reused.actions).toEqual([{ type: "startBgp", reason: "bfdUp" }]);
    expect(reused.state.suppressedUntil).toBeUndefined();
  });

  it("a silent peer does not get BGP while suppressed; after reuse it does, after the bound", () => {
    const steps: Step[] = [...THREE_FLAPS, [1_400, ["up"], []], [1_500, ["down"], []]];
    const r = run("waiting", steps, { dampening: DAMPING });
    expect(r.actions).toEqual(steps.map((s) => s[2]));
    const until = r.deadline ?? 0;
    expect(stepPairing(r.state, { type: "tick" }, 1_500 + W, { dampening: DAMPING }).actions).toEqual([]);
    const reused = stepPairing(r.state, { type: "tick" }, until, { dampening: DAMPING });
    expect(reused.actions).toEqual([]);
    expect(nextPairingDeadline(reused.state)).toBe(until + W);
    expect(stepPairing(reused.state, { type: "tick" }, until + W, { dampening: DAMPING }).actions).toEqual([{ type: "startBgp", reason: "peerSilent" }]);
  });

  it("dampening taken off the profile while suppressed ends the suppression at the next step", () => {
    const steps: Step[] = [...THREE_FLAPS, [1_400, ["up"], []]];
    const r = run("waiting", steps, { dampening: DAMPING });
    expect(r.state.suppressedUntil).toBeDefined();
    expect(stepPairing(r.state, { type: "tick" }, 1_500).actions).toEqual([{ type: "startBgp", reason: "bfdUp" }]);
  });

  it("our own AdminDown and the peer's are no flaps", () => {
    const steps: Step[] = [[500, ["up"], ["startBgp:bfdUp"]], [600, ["down", true], []], [700, ["up"], []], [800, ["adminDown"], ["stopBgp:bfdDown"]], [900, ["up"], ["startBgp:bfdUp"]], [1_000, ["down", true], []]];
    const r = run("waiting", steps, { dampening: DAMPING });
    expect(r.actions).toEqual(steps.map((s) => s[2]));
    expect(r.state.dampening.penalty).toBe(0);
  });
});
