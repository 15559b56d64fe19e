import { describe, expect, it } from "vitest";
import { parseProbeKeys, ProbeKeyError } from "../../src/protocols/fence/probeKeys.js";

// The probe key file: "<id> <base64 secret>" lines, the first one sends, all are accepted; each mistake named by line.

const secret = (fill: number, n = 32): string => Buffer.alloc(n, fill).toString("base64");

describe("probe key file", () => {
  it("sends with the first key and accepts every key listed", () => {
    const ring = parseProbeKeys(`# rotation: 2 is new\n2 ${secret(2)}\n\n1 ${secret(1)}  # the previous key\n`, "keys");
    expect(ring.sendId).toBe(2);
    expect([...ring.keys.keys()]).toEqual([2, 1]);
    expect(Buffer.from(ring.keys.get(1) ?? []).equals(Buffer.alloc(32, 1))).toBe(true);
  });

  it.each([
    ["an empty file", "", /keys: no key/],
    ["only comments", "# nothing\n", /keys: no key/],
    ["a line without a secret", "1\n", /line 1: expected "<key id> <base64 secret>"/],
    ["a third field", `1 ${secret(1)} extra\n`, /line 1: expected/],
    ["key id 0 (reserved)", `0 ${secret(1)}\n`, /line 1: key id "0" is not 1\.\.65535 \(0 is reserved for --insecure-probes\)/],
    ["key id 65536", `65536 ${secret(1)}\n`, /key id "65536"/],
    ["a key id that is not a number", `k1 ${secret(1)}\n`, /key id "k1"/],
    ["a secret that is not base64", "1 not*base64\n", /line 1: key 1: the secret is not base64/],
    ["a secret of 16 bytes", `1 ${secret(1, 16)}\n`, /key 1: the secret has 16 bytes, at least 32/],
    ["one id twice", `1 ${secret(1)}\n1 ${secret(2)}\n`, /line 2: key id 1 is listed twice/],
    ["nine keys", Array.from({ length: 9 }, (_, i) => `${i + 1} ${secret(i)}`).join("\n"), /line 9: more than 8 keys/],
  ])("%s is refused, naming the file and line", (_name, text, message) => {
    expect(() => parseProbeKeys(text, "keys")).toThrow(ProbeKeyError);
    expect(() => parseProbeKeys(text, "keys")).toThrow(message);
  });
});
