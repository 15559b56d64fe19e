import { STREAMS, type StreamName } from "../events/types.js";
import { LOG_FORMAT, LOG_FORMAT_VERSION, LogFileError, type ExportedEntry, type ExportedMessage, type Headers, type LogFileHeader, type LogFileLine } from "./format.js";

// Encodes and decodes single lines of the export file. Decoding never trusts the file: every field is checked
// and a problem is a LogFileError naming the line.

const utf8 = new TextDecoder("utf-8", { fatal: true });
const textEncoder = new TextEncoder();

/** The payload as JSON when its bytes are exactly JSON.stringify of their parse, else as base64. */
function payloadFields(data: Uint8Array): { json: unknown } | { base64: string } {
  try {
    const text = utf8.decode(data);
    const parsed: unknown = JSON.parse(text);
    if (JSON.stringify(parsed) === text) return { json: parsed };
  } catch {
    // not UTF-8 JSON: kept as base64 below
  }
  return { base64: Buffer.from(data).toString("base64") };
}

export function encodeHeaderLine(header: LogFileHeader): string {
  return JSON.stringify(header);
}

export function encodeMessageLine(m: ExportedMessage): string {
  return JSON.stringify({ stream: m.stream, seq: m.seq, subject: m.subject, time: m.time, headers: m.headers, ...payloadFields(m.data) });
}

export function encodeEntryLine(e: ExportedEntry): string {
  return JSON.stringify({ bucket: e.bucket, key: e.key, revision: e.revision, time: e.time, op: e.operation, ...payloadFields(e.data) });
}

type Fields = Record<string, unknown>;

function parseObject(text: string, line: number): Fields {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new LogFileError("LOG_FILE_BAD_LINE", `line ${line}: not JSON (${(err as Error).message})`, line);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new LogFileError("LOG_FILE_BAD_LINE", `line ${line}: expected a JSON object`, line);
  return parsed as Fields;
}

const bad = (line: number, what: string): LogFileError => new LogFileError("LOG_FILE_BAD_LINE", `line ${line}: ${what}`, line);

function str(f: Fields, key: string, line: number): string {
  const v = f[key];
  if (typeof v !== "string" || v === "") throw bad(line, `"${key}" must be a non-empty string`);
  return v;
}

function num(f: Fields, key: string, line: number, integer: boolean): number {
  const v = f[key];
  if (typeof v !== "number" || !Number.isFinite(v) || v < 0 || (integer && !Number.isInteger(v))) throw bad(line, `"${key}" must be a non-negative ${integer ? "integer" : "number"}`);
  return v;
}

function headersOf(f: Fields, line: number): Headers {
  const v = f["headers"];
  if (v === undefined) return {};
  if (typeof v !== "object" || v === null || Array.isArray(v)) throw bad(line, `"headers" must be an object of string lists`);
  for (const values of Object.values(v)) {
    if (!Array.isArray(values) || values.some((x) => typeof x !== "string")) throw bad(line, `"headers" must be an object of string lists`);
  }
  return v as Headers;
}

function payloadOf(f: Fields, line: number): Uint8Array {
  if ("json" in f && "base64" in f) throw bad(line, `has both "json" and "base64"`);
  if ("json" in f) return textEncoder.encode(JSON.stringify(f["json"]));
  const b64 = f["base64"];
  if (typeof b64 !== "string" || !/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || b64.length % 4 !== 0) throw bad(line, `needs "json" or a valid "base64" payload`);
  return new Uint8Array(Buffer.from(b64, "base64"));
}

const STREAM_NAMES: readonly string[] = Object.values(STREAMS);

function streamOf(f: Fields, line: number, key = "stream"): StreamName {
  const s = str(f, key, line);
  if (!STREAM_NAMES.includes(s)) throw bad(line, `unknown stream "${s}" (expected ${STREAM_NAMES.join(" or ")})`);
  return s as StreamName;
}

/** Line 1: the format's name and version are checked before anything else, so a newer file is told apart from a damaged one. */
export function decodeHeaderLine(text: string): LogFileHeader {
  const f = parseObject(text, 1);
  if (f["format"] !== LOG_FORMAT) throw new LogFileError("LOG_FILE_BAD_HEADER", `line 1: not a vipmesh log export (format is ${JSON.stringify(f["format"])}, expected "${LOG_FORMAT}")`, 1);
  if (f["version"] !== LOG_FORMAT_VERSION) {
    throw new LogFileError("LOG_FILE_VERSION", `line 1: format version ${JSON.stringify(f["version"])}; this vipmesh reads version ${LOG_FORMAT_VERSION}`, 1);
  }
  const streams = f["streams"];
  if (!Array.isArray(streams)) throw new LogFileError("LOG_FILE_BAD_HEADER", `line 1: "streams" must be a list`, 1);
  const buckets = f["buckets"];
  if (!Array.isArray(buckets) || buckets.some((b) => typeof b !== "string")) throw new LogFileError("LOG_FILE_BAD_HEADER", `line 1: "buckets" must be a list of names`, 1);
  return {
    format: LOG_FORMAT,
    version: LOG_FORMAT_VERSION,
    vipmesh: str(f, "vipmesh", 1),
    exportedAt: num(f, "exportedAt", 1, false),
    streams: streams.map((s: unknown) => {
      if (typeof s !== "object" || s === null) throw new LogFileError("LOG_FILE_BAD_HEADER", `line 1: each of "streams" must be an object`, 1);
      const sf = s as Fields;
      const config = sf["config"];
      return {
        name: streamOf(sf, 1, "name"),
        config: typeof config === "object" && config !== null ? (config as Record<string, unknown>) : {},
        firstSeq: num(sf, "firstSeq", 1, true),
        lastSeq: num(sf, "lastSeq", 1, true),
        messages: num(sf, "messages", 1, true),
      };
    }),
    buckets: buckets as string[],
  };
}

export function decodeBodyLine(text: string, line: number): LogFileLine {
  const f = parseObject(text, line);
  if ("stream" in f) {
    const message = { stream: streamOf(f, line), seq: num(f, "seq", line, true), subject: str(f, "subject", line), time: num(f, "time", line, false), headers: headersOf(f, line), data: payloadOf(f, line) };
    if (message.seq < 1) throw bad(line, `"seq" must be at least 1`);
    return { kind: "message", message };
  }
  if ("bucket" in f) {
    return { kind: "entry", entry: { bucket: str(f, "bucket", line), key: str(f, "key", line), revision: num(f, "revision", line, true), time: num(f, "time", line, false), operation: str(f, "op", line), data: payloadOf(f, line) } };
  }
  throw bad(line, `is neither a message (with "stream") nor a bucket entry (with "bucket")`);
}
