import { describe, expect, it } from "vitest";
import { formatRow } from "../../src/cli/replayFormat.js";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import { decodeLogEntries } from "../../src/events/entries.js";
import { subjects } from "../../src/events/subjects.js";
import type { FenceLeft } from "../../src/events/types.js";
import { buildTimeline } from "../../src/projections/timeline.js";

const T = 1_700_000_000_000;
const meta = { stream: "EVENTS" as const, seq: 1, time: T + 5_000, subject: subjects.announce("node1") };
const left: FenceLeft = { type: "FenceLeft", data: { node: "node1", incarnation: 7, reason: "isolated", enteredAt: T, leftAt: T + 3_458, unfenceReason: "the log is back and caught up" } };

describe("fencing episodes on the log", () => {
  it("round-trip through the codec and replay as a row with the episode's duration", () => {
    const decoded = decodeEvent(encodeEvent(left), meta);
    expect(decoded.ok && decoded.event.data).toEqual(left.data);
    const { rows } = buildTimeline(decodeLogEntries([{ meta, data: encodeEvent(left) }], () => undefined));
    expect(rows.map((r) => r.kind)).toEqual(["fence-left"]);
    expect(formatRow(rows[0]!)).toMatch(/node node1 answered again after 3458 ms fenced \(isolated; the log is back and caught up\)/);
  });

  it("refuses an episode that ends before it began, naming the field", () => {
    const backwards = { ...left, data: { ...left.data, leftAt: T - 1 } };
    const decoded = decodeEvent(encodeEvent(backwards), meta);
    expect(decoded.ok).toBe(false);
    expect(!decoded.ok && decoded.invalid).toMatchObject({ reason: "bad-data", detail: expect.stringMatching(/leftAt: leftAt must not be before enteredAt/) });
  });
});
