import { describe, expect, it } from "vitest";
import { formatTimeline } from "../../src/cli/replayFormat.js";
import type { TimelineRow } from "../../src/projections/timeline.js";

// The text replay groups rows by the address they concern; a conflict report concerns its VIP, so `--vip` shows it
// there and another VIP's replay does not.

const rows: TimelineRow[] = [
  { kind: "config-applied", seq: 1, time: 1_000, source: "file", hash: "abcdef0123456789", services: 2 },
  { kind: "conflict-observed", seq: 2, time: 2_000, vip: "198.18.0.200", node: "node1", otherMac: "02:00:00:00:00:99", ifname: "eth0", count: 3 },
];

describe("the text replay", () => {
  it("shows a conflict under its VIP", () => {
    const text = formatTimeline(rows, "198.18.0.200");
    expect(text).toMatch(/^VIP 198\.18\.0\.200: .*\n  .*198\.18\.0\.200  node1 saw another MAC 02:00:00:00:00:99 answer for it on eth0/);
  });

  it("leaves another VIP's conflicts out of a --vip replay", () => {
    expect(formatTimeline(rows, "198.18.0.201")).not.toContain("another MAC");
  });

  it("prints control characters from the log as escapes, never raw", () => {
    const hostile: TimelineRow[] = [{ ...rows[1]!, node: "node1\u001b[2J\u001b]0;owned\u0007" } as TimelineRow];
    const text = formatTimeline(hostile, null);
    expect(text).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/);
    expect(text).toContain("node1\\u001b[2J");
  });
});
