// The codec and decision files under src/protocols stay pure: no Node built-ins, no adapters, no clock or randomness.
import { readFileSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";

const root = fileURLToPath(new URL("../../src/protocols", import.meta.url));
const files = ["codec", "arp", "ndp", "l2"].flatMap((dir) =>
  readdirSync(join(root, dir))
    .filter((f) => f.endsWith(".ts"))
    .map((f) => join(dir, f)),
);
const FORBIDDEN = [
  { what: "Node built-in import", re: /from\s+["']node:/ },
  { what: "bare built-in import", re: /from\s+["'](fs|net|dgram|os|timers|child_process)["']/ },
  { what: "adapter import", re: /from\s+["'][./]*\/adapters\// },
  { what: "clock", re: /\bDate\.now\(|new Date\(|performance\.now\(/ },
  { what: "randomness", re: /\bMath\.random\(/ },
  { what: "timer", re: /\b(setTimeout|setInterval|setImmediate)\(/ },
];

describe("src/protocols/{codec,arp,ndp,l2} purity", () => {
  it("finds the files it guards", () => {
    expect(files).toEqual(
      expect.arrayContaining(["arp/codec.ts", "arp/responder.ts", "codec/reader.ts", "ndp/codec.ts", "ndp/responder.ts", "l2/announceSchedule.ts"]),
    );
  });

  it.each(files)("%s does no I/O and reads no clock", (file) => {
    const text = readFileSync(join(root, file), "utf8");
    expect(FORBIDDEN.filter(({ re }) => re.test(text)).map(({ what }) => what)).toEqual([]);
  });
});
