import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { gzipSync } from "node:zlib";
import { afterAll, describe, expect, it } from "vitest";
import { readLogFile } from "../../src/adapters/logfile/readLogFile.js";
import { writeLogFile } from "../../src/adapters/logfile/writeLogFile.js";
import { decodeLogFile, encodeLogFile } from "../../src/logfile/contents.js";
import { LOG_FORMAT, LOG_FORMAT_VERSION, LogFileError, type LogFileContents } from "../../src/logfile/format.js";

const dir = mkdtempSync(join(tmpdir(), "vipmesh-logfile-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const bytes = (text: string): Uint8Array => new TextEncoder().encode(text);

const contents: LogFileContents = {
  header: {
    format: LOG_FORMAT,
    version: LOG_FORMAT_VERSION,
    vipmesh: "0.0.0-test",
    exportedAt: 1_700_000_000_000,
    streams: [
      { name: "EVENTS", config: { subjects: ["vipmesh.ev.>"] }, firstSeq: 1, lastSeq: 3, messages: 3 },
      { name: "HEARTBEATS", config: {}, firstSeq: 7, lastSeq: 7, messages: 1 },
    ],
    buckets: ["vipmesh_snapshots"],
  },
  streams: {
    EVENTS: [
      { stream: "EVENTS", seq: 1, subject: "vipmesh.ev.vip.198_18_0_200", time: 1_700_000_000_000.25, headers: { "Nats-Msg-Id": ["a"] }, data: bytes('{"type":"X","v":1,"data":{}}') },
      // Not byte-identical after a JSON round trip (spaces), and not JSON at all: both kept exactly, as base64.
      { stream: "EVENTS", seq: 2, subject: "vipmesh.ev.node.n1", time: 1_700_000_000_001, headers: {}, data: bytes('{ "type": "X" }') },
      { stream: "EVENTS", seq: 3, subject: "vipmesh.ev.node.n1", time: 1_700_000_000_002, headers: {}, data: new Uint8Array([0xff, 0x00, 0x7b]) },
    ],
    HEARTBEATS: [{ stream: "HEARTBEATS", seq: 7, subject: "vipmesh.hb.n1", time: 1_700_000_000_003, headers: {}, data: bytes("{}") }],
  },
  entries: [{ bucket: "vipmesh_snapshots", key: "events-v1", revision: 4, time: 1_700_000_000_004, operation: "PUT", data: bytes('{"seq":3}') }],
};

const lines = [...encodeLogFile(contents)];

async function fileOf(name: string, body: Buffer): Promise<string> {
  const path = join(dir, name);
  writeFileSync(path, body);
  return path;
}

async function failure(promise: Promise<unknown>): Promise<LogFileError> {
  const err = await promise.then(() => null, (e: unknown) => e);
  expect(err).toBeInstanceOf(LogFileError);
  return err as LogFileError;
}

describe("log export file format", () => {
  it("decodes what it encodes, payload bytes exact (JSON kept as JSON, anything else as base64)", () => {
    expect(decodeLogFile(lines)).toEqual(contents);
    expect(JSON.parse(lines[1] ?? "")).toMatchObject({ stream: "EVENTS", seq: 1, json: { type: "X", v: 1, data: {} } });
    expect(JSON.parse(lines[2] ?? "")).toHaveProperty("base64");
    expect(JSON.parse(lines[3] ?? "")).toHaveProperty("base64");
  });

  it("survives gzip through the file adapters", async () => {
    const path = join(dir, "round.jsonl.gz");
    await writeLogFile(path, lines);
    expect(await readLogFile(path)).toEqual(contents);
  });

  it("names the line of a damaged message", async () => {
    const damaged = [...lines.slice(0, 2), '{"stream":"EVENTS","seq":"two"', ...lines.slice(3)];
    const err = await failure(readLogFile(await fileOf("bad-line.jsonl.gz", gzipSync(damaged.join("\n")))));
    expect(err.code).toBe("LOG_FILE_BAD_LINE");
    expect(err.line).toBe(3);
    expect(err.message).toMatch(/^line 3: not JSON/);
  });

  it("names a field that is wrong, an unknown stream and a sequence going back", () => {
    expect(() => decodeLogFile([lines[0] ?? "", '{"stream":"EVENTS","seq":1,"subject":"s","time":-1,"json":{}}'])).toThrow(/line 2: "time" must be a non-negative number/);
    expect(() => decodeLogFile([lines[0] ?? "", '{"stream":"OTHER","seq":1,"subject":"s","time":1,"json":{}}'])).toThrow(/line 2: unknown stream "OTHER"/);
    expect(() => decodeLogFile([lines[0] ?? "", lines[2] ?? "", lines[1] ?? ""])).toThrow(/line 3: EVENTS sequence 1 does not follow 2/);
  });

  it("refuses another format version, saying which it reads", async () => {
    const newer = JSON.stringify({ ...contents.header, version: 2 });
    const err = await failure(readLogFile(await fileOf("v2.jsonl.gz", gzipSync([newer, ...lines.slice(1)].join("\n")))));
    expect(err.code).toBe("LOG_FILE_VERSION");
    expect(err.message).toBe(`line 1: format version 2; this vipmesh reads version ${LOG_FORMAT_VERSION}`);
  });

  it("says a file cut off inside its gzip stream is truncated, after which line", async () => {
    const whole = gzipSync(lines.join("\n"));
    const err = await failure(readLogFile(await fileOf("cut.jsonl.gz", whole.subarray(0, whole.length - 12))));
    expect(err.code).toBe("LOG_FILE_TRUNCATED");
    expect(err.message).toMatch(/cut off inside its gzip stream, after line \d+/);
  });

  it("tells a file that is not gzip and a missing file apart", async () => {
    const plain = await fileOf("plain.jsonl", Buffer.from(lines.join("\n")));
    expect((await failure(readLogFile(plain))).message).toMatch(/not a gzip-compressed vipmesh log export/);
    expect((await failure(readLogFile(join(dir, "absent.jsonl.gz")))).message).toMatch(/absent\.jsonl\.gz: no such file/);
    expect(readFileSync(plain).length).toBeGreaterThan(0);
  });

  it("refuses an empty file and a first line that is no header", () => {
    expect(() => decodeLogFile([])).toThrow(/has no header line/);
    expect(() => decodeLogFile([lines[1] ?? ""])).toThrow(/line 1: not a vipmesh log export/);
  });
});
