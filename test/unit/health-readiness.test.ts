import { describe, expect, it } from "vitest";
import { livenessOf, readinessOf, verdictText, type PartFacts } from "../../src/agents/health/readiness.js";

const speaker: PartFacts = { part: "speaker", natsConnected: true, caughtUp: true, fenced: false, followers: { EVENTS: true, HEARTBEATS: true }, stopping: false };
const allocator: PartFacts = { part: "allocator", natsConnected: true, caughtUp: true, followers: { EVENTS: true }, stopping: false };

describe("readiness: connected, caught up, not fenced, not stopping", () => {
  const cases: { name: string; parts: PartFacts[]; ok: boolean; reasons: string[] }[] = [
    { name: "a speaker that is connected, caught up and not fenced is ready", parts: [speaker], ok: true, reasons: [] },
    { name: "a process with no agent yet is not ready", parts: [], ok: false, reasons: ["starting: no agent has opened the log yet"] },
    { name: "a fenced speaker is not ready, and says so", parts: [{ ...speaker, fenced: true }], ok: false, reasons: ["speaker: fenced (cut off from the log while others can write to it; not answering)"] },
    { name: "a speaker still reading the log is not ready", parts: [{ ...speaker, caughtUp: false }], ok: false, reasons: ["speaker: not caught up with the log"] },
    { name: "an agent without NATS is not ready", parts: [{ ...allocator, natsConnected: false }], ok: false, reasons: ["allocator: not connected to NATS"] },
    { name: "a stopping agent is not ready", parts: [{ ...allocator, stopping: true }], ok: false, reasons: ["allocator: stopping"] },
    {
      name: "every failed condition of every part is named, in order",
      parts: [{ ...speaker, natsConnected: false, fenced: true }, { ...allocator, caughtUp: false }],
      ok: false,
      reasons: ["speaker: not connected to NATS", "speaker: fenced (cut off from the log while others can write to it; not answering)", "allocator: not caught up with the log"],
    },
    { name: "one ready part does not hide another's failure", parts: [allocator, { ...speaker, fenced: true }], ok: false, reasons: ["speaker: fenced (cut off from the log while others can write to it; not answering)"] },
  ];
  for (const c of cases) {
    it(c.name, () => {
      expect(readinessOf(c.parts)).toEqual({ ok: c.ok, reasons: c.reasons });
    });
  }
});

describe("liveness: the followers run", () => {
  it("is alive while every follower runs, whatever NATS and the fence say", () => {
    expect(livenessOf([{ ...speaker, natsConnected: false, fenced: true, caughtUp: false }]).ok).toBe(true);
  });
  it("names a follower that stopped while the agent runs", () => {
    expect(livenessOf([{ ...speaker, followers: { EVENTS: true, HEARTBEATS: false } }])).toEqual({ ok: false, reasons: ["speaker: the follower of HEARTBEATS stopped"] });
  });
  it("does not count followers that stopped because the agent is stopping", () => {
    expect(livenessOf([{ ...speaker, stopping: true, followers: { EVENTS: false, HEARTBEATS: false } }]).ok).toBe(true);
  });
});

describe("the probes' body", () => {
  it("is ok, or one reason per line", () => {
    expect(verdictText({ ok: true, reasons: [] })).toBe("ok\n");
    expect(verdictText({ ok: false, reasons: ["a", "b"] })).toBe("a\nb\n");
  });
});
