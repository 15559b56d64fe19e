import { createReadStream } from "node:fs";
import { createInterface } from "node:readline";
import { createGunzip } from "node:zlib";
import { LogFileCollector } from "../../logfile/contents.js";
import { LogFileError, type LogFileContents } from "../../logfile/format.js";

/**
 * Reads a gzip-compressed export file. Every problem is a LogFileError that says what and where: a missing file, a
 * file that is not gzip, one cut off inside its gzip stream (after which line), a damaged line (its number).
 */
export async function readLogFile(path: string): Promise<LogFileContents> {
  const collector = new LogFileCollector();
  const input = createReadStream(path);
  const gunzip = createGunzip();
  let streamError: Error | null = null;
  input.on("error", (err) => {
    streamError = err;
    gunzip.destroy(err);
  });
  gunzip.on("error", (err) => (streamError ??= err));
  const lines = createInterface({ input: input.pipe(gunzip), crlfDelay: Infinity });
  // Each line is decoded only once the next one has arrived (or the stream ended cleanly): the partial last line
  // of a cut-off file must be reported as the truncation it is, not as a damaged line.
  let pending: string | null = null;
  try {
    for await (const line of lines) {
      if (pending !== null) collector.push(pending);
      pending = line;
    }
  } catch (err) {
    if (err instanceof LogFileError) throw err;
    streamError ??= err as Error;
  } finally {
    lines.close();
    input.destroy();
  }
  if (streamError) throw readProblem(path, streamError, collector.lineCount);
  if (pending !== null) collector.push(pending);
  return collector.finish();
}

function readProblem(path: string, err: Error & { code?: string }, lines: number): LogFileError {
  if (err.code === "ENOENT") return new LogFileError("LOG_FILE_UNREADABLE", `${path}: no such file`);
  if (err.code === "Z_BUF_ERROR" || /unexpected end/i.test(err.message)) {
    return new LogFileError("LOG_FILE_TRUNCATED", `${path}: the file is cut off inside its gzip stream, after line ${lines} (an export that did not finish, or a partial copy)`, lines + 1);
  }
  if (err.code === "Z_DATA_ERROR") return new LogFileError("LOG_FILE_UNREADABLE", `${path}: not a gzip-compressed vipmesh log export (${err.message})`);
  return new LogFileError("LOG_FILE_UNREADABLE", `${path}: cannot be read: ${err.message}`);
}
