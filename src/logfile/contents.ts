import { STREAMS } from "../events/types.js";
import { LogFileError, type ExportedEntry, type LogFileContents, type LogFileHeader } from "./format.js";
import { decodeBodyLine, decodeHeaderLine, encodeEntryLine, encodeHeaderLine, encodeMessageLine } from "./lineCodec.js";

// A whole export, line by line: the header first, then each stream's messages in rising sequence order, then the
// bucket entries. Collecting checks that order, so a file spliced from two exports is refused, not misread.

export class LogFileCollector {
  private header: LogFileHeader | null = null;
  private readonly streams: LogFileContents["streams"] = { [STREAMS.events]: [], [STREAMS.heartbeats]: [] };
  private readonly entries: ExportedEntry[] = [];
  private lines = 0;

  /** Takes the next line of the file (without its newline). Blank lines are allowed only at the very end. */
  push(text: string): void {
    this.lines++;
    const line = this.lines;
    if (line === 1) {
      this.header = decodeHeaderLine(text);
      return;
    }
    if (text === "") return;
    const decoded = decodeBodyLine(text, line);
    if (decoded.kind === "entry") {
      this.entries.push(decoded.entry);
      return;
    }
    const m = decoded.message;
    const list = this.streams[m.stream];
    const previous = list[list.length - 1];
    if (previous && m.seq <= previous.seq) throw new LogFileError("LOG_FILE_BAD_LINE", `line ${line}: ${m.stream} sequence ${m.seq} does not follow ${previous.seq}`, line);
    list.push(m);
  }

  get lineCount(): number {
    return this.lines;
  }

  finish(): LogFileContents {
    if (!this.header) throw new LogFileError("LOG_FILE_BAD_HEADER", "the file is empty: it has no header line", 1);
    return { header: this.header, streams: this.streams, entries: this.entries };
  }
}

/** The lines of a file, in order; each ends without a newline. */
export function* encodeLogFile(contents: LogFileContents): Generator<string> {
  yield encodeHeaderLine(contents.header);
  for (const stream of contents.header.streams) for (const m of contents.streams[stream.name]) yield encodeMessageLine(m);
  for (const e of contents.entries) yield encodeEntryLine(e);
}

/** Decodes the lines of a whole file (already decompressed). */
export function decodeLogFile(lines: Iterable<string>): LogFileContents {
  const collector = new LogFileCollector();
  for (const line of lines) collector.push(line);
  return collector.finish();
}
