import { Writable } from "node:stream";
import { pino, type Logger } from "pino";

/** A real pino logger writing JSON lines into memory, so tests can assert on what an agent reported. */
export function memoryLogger(): { log: Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      chunks.push(chunk.toString());
      done();
    },
  });
  return {
    log: pino({ level: "debug" }, sink),
    lines: () => chunks.join("").split("\n").filter((l) => l.trim() !== "").map((l) => JSON.parse(l) as Record<string, unknown>),
  };
}
