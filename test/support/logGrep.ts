import { jetstreamManager } from "@nats-io/jetstream";
import type { NatsConnection } from "@nats-io/transport-node";

// What a reader of the log could find: every stored message of a stream (subject, headers, bytes) as one text.

export async function streamText(nc: NatsConnection, stream: string): Promise<{ messages: number; text: string }> {
  const jsm = await jetstreamManager(nc);
  const info = await jsm.streams.info(stream);
  const parts: string[] = [];
  for (let seq = info.state.first_seq; info.state.messages > 0 && seq <= info.state.last_seq; seq++) {
    const m = await jsm.streams.getMessage(stream, { seq }).catch(() => null);
    if (m) parts.push(`${m.subject}\n${JSON.stringify(m.header ?? {})}\n${Buffer.from(m.data).toString("latin1")}`);
  }
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
