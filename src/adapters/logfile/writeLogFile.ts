import { createWriteStream, renameSync, rmSync } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";

/**
 * Writes lines (each without its newline) gzip-compressed to `path`, through a temporary file renamed at the end:
 * an export that fails half-way leaves no file that looks complete.
 */
export async function writeLogFile(path: string, lines: AsyncIterable<string> | Iterable<string>): Promise<void> {
  const partial = `${path}.partial`;
  async function* withNewlines(): AsyncGenerator<string> {
    for await (const line of lines) yield `${line}\n`;
  }
  try {
    await pipeline(Readable.from(withNewlines()), createGzip(), createWriteStream(partial));
    renameSync(partial, path);
  } catch (err) {
    rmSync(partial, { force: true });
    throw err;
  }
}
