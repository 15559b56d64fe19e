// The scale benchmark's "VIPs answered" figure, read from the speakers' log lines (it once drifted to -19 by counting
// fence warnings as VIPs stopped).
import { describe, expect, it } from "vitest";
import { vipsAnswered } from "../../src/bench/scale/vipsAnswered.js";

const line = (node: number, msg: string, vip?: string): { node: number; line: string } => ({
  node,
  line: JSON.stringify({ level: 30, node: `node${node}`, ...(vip ? { vip, ifname: "eth0" } : {}), msg }),
});

describe("vipsAnswered", () => {
  it("counts a VIP again once a fenced speaker answers it again, and the fence warning is not a VIP", () => {
    const lines = [
      line(1, "answering and announcing", "198.18.0.200"),
      line(1, "answering and announcing", "198.18.0.201"),
      line(1, "fenced: stopped answering"),
      line(1, "stopped answering", "198.18.0.200"),
      line(1, "stopped answering", "198.18.0.201"),
    ];
    expect(vipsAnswered(lines)).toBe(0);
    lines.push(line(1, "unfenced"), line(1, "answering and announcing", "198.18.0.200"), line(1, "answering and announcing", "198.18.0.201"));
    expect(vipsAnswered(lines)).toBe(2);
  });

  it("counts a VIP answered by two speakers (a handover) once, and what a speaker answered before its start line", () => {
    const lines = [
      line(1, "answering and announcing", "198.18.0.200"),
      line(1, "speaker started"),
      line(2, "answering and announcing", "198.18.0.200"),
      line(2, "answering and announcing", "198.18.0.201"),
      line(2, "speaker started"),
    ];
    expect(vipsAnswered(lines)).toBe(2);
    lines.push(line(2, "stopped answering", "198.18.0.201"));
    expect(vipsAnswered(lines)).toBe(1);
  });
});
