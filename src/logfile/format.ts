import type { StreamName } from "../events/types.js";

// The log export file (docs/log-export.md): JSON lines, gzip-compressed. The first line is a header naming the
// format and its version; every other line is one stream message or one snapshot-bucket entry. Pure: the file
// reading and gzip live in src/adapters/logfile.

export const LOG_FORMAT = "vipmesh-log";
export const LOG_FORMAT_VERSION = 1;

/** A stream as the server described it when the export began. */
export type ExportedStream = {
  name: StreamName;
  /** The stream's configuration, as the server reported it (subjects, limits, storage). */
  config: Record<string, unknown>;
  firstSeq: number;
  lastSeq: number;
  messages: number;
};

export type LogFileHeader = {
  format: typeof LOG_FORMAT;
  version: typeof LOG_FORMAT_VERSION;
  /** The vipmesh version that wrote the file. */
  vipmesh: string;
  /** When the export began, in milliseconds since the epoch. */
  exportedAt: number;
  streams: ExportedStream[];
  /** The key-value buckets whose entries follow the messages (absent buckets are not listed). */
  buckets: string[];
};

export type Headers = Record<string, string[]>;

/** One stream message: the bytes are kept exactly (JSON text when they are JSON that re-encodes to the same bytes). */
export type ExportedMessage = { stream: StreamName; seq: number; subject: string; time: number; headers: Headers; data: Uint8Array };

/** One entry of a key-value bucket (the snapshots): its key, revision, time and value. */
export type ExportedEntry = { bucket: string; key: string; revision: number; time: number; operation: string; data: Uint8Array };

export type LogFileLine = { kind: "message"; message: ExportedMessage } | { kind: "entry"; entry: ExportedEntry };

/** What a whole file holds once decoded: messages per stream in sequence order, and the bucket entries. */
export type LogFileContents = {
  header: LogFileHeader;
  streams: Record<StreamName, ExportedMessage[]>;
  entries: ExportedEntry[];
};

export class LogFileError extends Error {
  constructor(
    readonly code: "LOG_FILE_TRUNCATED" | "LOG_FILE_BAD_LINE" | "LOG_FILE_BAD_HEADER" | "LOG_FILE_VERSION" | "LOG_FILE_UNREADABLE",
    message: string,
    /** 1-based line number the problem is on, when it is on one. */
    readonly line: number | null = null,
  ) {
    super(message);
  }
}
