// Probe keys from a file: read again when it changes (a rotated Secret), the last good keys kept when it turns invalid
// or disappears; and the compiled speaker refuses to start without a key unless --insecure-probes is given.
import { mkdtempSync, renameSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { WatchedProbeKeys } from "../../src/adapters/probe/probeKeyFile.js";
import { ProbeKeyError } from "../../src/protocols/fence/probeKeys.js";
import { memoryLogger } from "../support/memoryLog.js";
import { runCli } from "../support/cliProcs.js";

const dir = mkdtempSync(join(tmpdir(), "vipmesh-probekeys-"));
const keyLine = (id: number, fill: number): string => `${id} ${Buffer.alloc(32, fill).toString("base64")}\n`;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function until(what: string, ok: () => boolean, timeoutMs = 3_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!ok()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe("a watched probe key file", () => {
  it("takes a rotated file (replaced as a Secret volume does, by rename) and keeps the last good keys through a bad one", async () => {
    const file = join(dir, "keys");
    writeFileSync(file, keyLine(1, 1));
    const { log, lines } = memoryLogger();
    const watched = new WatchedProbeKeys(file, log, 20);
    try {
      expect(watched.keyring.sendId).toBe(1);
      writeFileSync(`${file}.new`, keyLine(2, 2) + keyLine(1, 1));
      renameSync(`${file}.new`, file);
      await until("the new sending key", () => watched.keyring.sendId === 2);
      expect([...watched.keyring.keys.keys()]).toEqual([2, 1]);
      expect(lines().some((l) => l["msg"] === "probe keys reloaded" && l["sendKeyId"] === 2)).toBe(true);

      writeFileSync(file, "2 tooshort\n");
      await until("the invalid file reported", () => lines().some((l) => l["msg"] === "probe key file invalid; the previous keys stay in use"));
      expect(watched.keyring.sendId).toBe(2);
      expect(lines().find((l) => l["msg"] === "probe key file invalid; the previous keys stay in use")?.["err"]).toMatch(/line 1: key 2: the secret has 6 bytes, at least 32/);

      rmSync(file);
      await until("the missing file reported", () => lines().some((l) => l["msg"] === "probe key file unreadable; the previous keys stay in use"));
      expect(watched.keyring.sendId).toBe(2);
      writeFileSync(file, keyLine(3, 3));
      await until("the file back", () => watched.keyring.sendId === 3);
    } finally {
      watched.close();
    }
  });

  it("a missing file at start is an error naming it", () => {
    const { log } = memoryLogger();
    expect(() => new WatchedProbeKeys(join(dir, "absent"), log)).toThrow(ProbeKeyError);
    expect(() => new WatchedProbeKeys(join(dir, "absent"), log)).toThrow(/probe key file .*absent does not exist/);
  });
});

describe("vipmesh speaker and its probe key (compiled CLI)", () => {
  const speaker = (...extra: string[]) => runCli(["speaker", "--node", "n1", "--nats", "nats://127.0.0.1:1", ...extra]);

  it("refuses to start without a key, saying how to give one or to opt out", async () => {
    const p = speaker();
    expect((await p.exited).code).toBe(2);
    const stderr = p.err.join("\n");
    expect(stderr).toContain("no key for the fencing probes: give --probe-key-file (or VIPMESH_PROBE_KEY_FILE)");
    expect(stderr).toContain("--insecure-probes");
  });

  it("names a key file that does not exist, and a key file with a bad line", async () => {
    const missing = speaker("--probe-key-file", join(dir, "nope"));
    expect((await missing.exited).code).toBe(2);
    expect(missing.err.join("\n")).toMatch(/probe key file .*nope does not exist \(PROBE_KEY_INVALID\)/);
    const bad = join(dir, "bad");
    writeFileSync(bad, "# keys\n0 abc=\n");
    const invalid = speaker("--probe-key-file", bad);
    expect((await invalid.exited).code).toBe(2);
    expect(invalid.err.join("\n")).toMatch(/line 2: key id "0" is not 1\.\.65535/);
  });

  it("refuses a key file and --insecure-probes together", async () => {
    const file = join(dir, "both");
    writeFileSync(file, keyLine(1, 1));
    const p = speaker("--probe-key-file", file, "--insecure-probes");
    expect((await p.exited).code).toBe(2);
    expect(p.err.join("\n")).toContain("--probe-key-file and --insecure-probes exclude each other");
  });
});
