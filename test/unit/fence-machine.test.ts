import { describe, expect, it } from "vitest";
import { DEFAULT_FENCE_SETTINGS as S, initialFence, stepFence, type FenceAction, type FenceInput, type FenceState } from "../../src/protocols/fence/fenceMachine.js";

function run(inputs: FenceInput[], start: FenceState = initialFence(0)): { state: FenceState; actions: FenceAction[] } {
  let state = start;
  const actions: FenceAction[] = [];
  for (const input of inputs) {
    const step = stepFence(state, input, S);
    state = step.state;
    actions.push(...step.actions);
  }
  return { state, actions };
}

const tick = (now: number, peers = 2): FenceInput => ({ kind: "tick", now, peers });
const answer = (now: number, nonce: number, peerLogAgeMs: number, askerSilentMs: number): FenceInput => ({ kind: "answer", now, nonce, from: "peer", peerLogAgeMs, askerSilentMs });

describe("fencing", () => {
  it("does nothing while the log keeps arriving", () => {
    const inputs: FenceInput[] = [];
    for (let t = 0; t < 2_000; t += 20) inputs.push({ kind: "log", now: t, caughtUp: true }, tick(t + 10));
    expect(run(inputs).actions).toEqual([]);
  });

  it("probes once the log has been silent, then fences when a peer still reaches the log and no longer hears us", () => {
    const { state, actions } = run([tick(S.logSilentAfterMs - 1), tick(S.logSilentAfterMs), answer(S.logSilentAfterMs + 1, 1, 5, 150)]);
    expect(actions.map((a) => a.kind)).toEqual(["probe", "fence"]);
    expect(state.fenced).toBe(true);
    expect(state.reason).toMatch(/peer still reaches the log/);
    expect(actions.find((a) => a.kind === "fence")).toMatchObject({ cause: "cut-off" });
  });

  it("keeps answering when peers lost the log too (an outage for everyone), however long it lasts", () => {
    const inputs: FenceInput[] = [];
    let nonce = 0;
    for (let t = S.logSilentAfterMs; t < 60_000; t += 20) {
      inputs.push(tick(t));
      if ((t - S.logSilentAfterMs) % S.probeEveryMs === 0) inputs.push(answer(t + 1, ++nonce, t, 40));
    }
    const { state, actions } = run(inputs);
    expect(state.fenced).toBe(false);
    expect(actions.every((a) => a.kind === "probe")).toBe(true);
  });

  it("does not fence when peers still hear our heartbeats (we can write, only reading is lost)", () => {
    const { state } = run([tick(S.logSilentAfterMs), answer(S.logSilentAfterMs + 1, 1, 5, 10)]);
    expect(state.fenced).toBe(false);
  });

  it("fences when no peer answers at all: isolated", () => {
    const t = S.logSilentAfterMs;
    const { state, actions } = run([tick(t), tick(t + S.probeTimeoutMs)]);
    expect(actions.map((a) => a.kind)).toEqual(["probe", "fence"]);
    expect(state.reason).toMatch(/isolated/);
    expect(actions.find((a) => a.kind === "fence")).toMatchObject({ cause: "isolated" });
  });

  it("fences an isolated node at the driver's 20 ms ticks within the probe timeout: re-probing does not restart the wait", () => {
    const inputs: FenceInput[] = [];
    for (let t = 0; t <= 1_000; t += 20) inputs.push(tick(t));
    let state = initialFence(0);
    let fencedAt: number | null = null;
    for (const input of inputs) {
      const step = stepFence(state, input, S);
      state = step.state;
      if (fencedAt === null && step.actions.some((a) => a.kind === "fence")) fencedAt = input.now;
    }
    expect(state.reason).toMatch(/isolated/);
    expect(fencedAt).toBeLessThanOrEqual(S.logSilentAfterMs + S.probeTimeoutMs + 20);
  });

  it("an answer to an earlier probe of the same silence still counts (a slow peer is no isolation)", () => {
    const t = S.logSilentAfterMs;
    const slow = run([tick(t), tick(t + 20), tick(t + S.probeEveryMs), answer(t + S.probeEveryMs + 5, 1, 5, 10), tick(t + S.probeTimeoutMs + 20)]);
    expect(slow.state.fenced).toBe(false);
  });

  it("once peers confirmed an outage for everyone, answers that stop coming (a loaded peer) fence nobody", () => {
    const t = S.logSilentAfterMs;
    const inputs: FenceInput[] = [tick(t), answer(t + 1, 1, 500, 10)];
    for (let u = t + 20; u < t + 2_000; u += 20) inputs.push(tick(u));
    expect(run(inputs).state.fenced).toBe(false);
  });

  it("never fences a node without peers", () => {
    expect(run([tick(10_000, 0), tick(20_000, 0)]).state.fenced).toBe(false);
  });

  it("ignores an answer to an old round", () => {
    const t = S.logSilentAfterMs;
    const { state } = run([tick(t), tick(t + S.probeEveryMs), answer(t + S.probeEveryMs + 1, 1, 5, 500)]);
    expect(state.fenced).toBe(false);
  });

  it("unfences only when the log is back and caught up", () => {
    const fenced = run([tick(S.logSilentAfterMs), answer(S.logSilentAfterMs + 1, 1, 5, 500)]).state;
    expect(run([{ kind: "log", now: 1_000, caughtUp: false }], fenced).state.fenced).toBe(true);
    const back = run([{ kind: "log", now: 1_000, caughtUp: false }, { kind: "log", now: 1_010, caughtUp: true }], fenced);
    expect(back.state.fenced).toBe(false);
    expect(back.actions.map((a) => a.kind)).toEqual(["unfence"]);
  });

  it("does not fence for a silence that was this process's own stall: the silence starts over", () => {
    const t = 1_000;
    // Ticks every 20 ms with the log flowing, then the process stalls for 500 ms (no tick, no log, no answer).
    const inputs: FenceInput[] = [];
    for (let at = 0; at < t; at += 20) inputs.push({ kind: "log", now: at, caughtUp: true }, tick(at + 10));
    inputs.push(tick(t + 500), tick(t + 520), tick(t + 500 + S.logSilentAfterMs - 1));
    const after = run(inputs);
    expect(after.state.fenced).toBe(false);
    expect(after.actions).toEqual([]);
    // Still silent a full window after the stall: now it asks, and fences when nobody answers.
    const silent = t + 500 + S.logSilentAfterMs;
    const later = run([...inputs, tick(silent), tick(silent + 20), tick(silent + S.probeTimeoutMs)]);
    expect(later.actions.map((a) => a.kind)).toEqual(["probe", "fence"]);
  });
});
