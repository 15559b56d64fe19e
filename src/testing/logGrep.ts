import type { NatsConnection } from "@nats-io/transport-node";
import { readWholeStream } from "../adapters/nats/readLog.js";
import type { StreamName } from "../events/types.js";

// What a reader of the log could find: every stored message of a stream (subject and bytes) as one text, and the
// secret values found in it (the password tests; the attacks benchmark counts secrets_found_on_log with it).

export async function streamText(nc: NatsConnection, stream: string): Promise<{ messages: number; text: string }> {
  const parts: string[] = [];
  // One ordered read of the whole stream (a request per message takes minutes on a lab's HEARTBEATS).
  await readWholeStream(nc, stream as StreamName, (batch) => {
    for (const m of batch) parts.push(`${m.meta.subject}\n${Buffer.from(m.data).toString("latin1")}`);
  });
  return { messages: parts.length, text: parts.join("\n") };
}

/** A secret value as it could appear in stored bytes: plain, base64 (a Secret's data), JSON-escaped. */
export const secretForms = (value: string): string[] => [value, Buffer.from(value).toString("base64"), JSON.stringify(value).slice(1, -1)];

/** The forms of `values` found in EVENTS, HEARTBEATS and the snapshot bucket, as "STREAM: form" (empty: none). */
export async function secretsOnLog(nc: NatsConnection, values: readonly string[]): Promise<{ found: string[]; counts: Record<string, number> }> {
  const found: string[] = [];
  const counts: Record<string, number> = {};
  for (const stream of ["EVENTS", "HEARTBEATS", "KV_vipmesh_snapshots"]) {
    const s = await streamText(nc, stream);
    counts[stream] = s.messages;
    for (const v of values) for (const form of secretForms(v)) if (s.text.includes(form)) found.push(`${stream}: ${form}`);
  }
  return { found, counts };
}
