import { z } from "zod";

// The direct speaker-to-speaker probe: "can you still reach the log, and when did you last hear me?"
// JSON in one UDP datagram; validated here, at the boundary.

export type ProbeMessage =
  | { t: "probe"; from: string; nonce: number }
  | { t: "answer"; from: string; nonce: number; logAgeMs: number; askerSilentMs: number };

const schema = z.discriminatedUnion("t", [
  z.object({ v: z.literal(1), t: z.literal("probe"), from: z.string().min(1).max(253), nonce: z.number().int().nonnegative() }),
  z.object({
    v: z.literal(1),
    t: z.literal("answer"),
    from: z.string().min(1).max(253),
    nonce: z.number().int().nonnegative(),
    logAgeMs: z.number().nonnegative(),
    askerSilentMs: z.number().nonnegative(),
  }),
]);

export const MAX_PROBE_BYTES = 512;

export class ProbeDecodeError extends Error {
  readonly code = "PROBE_MALFORMED";
}

const encoder = new TextEncoder();
const decoder = new TextDecoder("utf-8", { fatal: true });

export function encodeProbe(m: ProbeMessage): Uint8Array {
  return encoder.encode(JSON.stringify({ v: 1, ...m }));
}

export function decodeProbe(bytes: Uint8Array): ProbeMessage {
  if (bytes.length > MAX_PROBE_BYTES) throw new ProbeDecodeError(`probe of ${bytes.length} bytes exceeds ${MAX_PROBE_BYTES}`);
  let raw: unknown;
  try {
    raw = JSON.parse(decoder.decode(bytes));
  } catch (err) {
    throw new ProbeDecodeError(`probe is not JSON: ${(err as Error).message}`);
  }
  const parsed = schema.safeParse(raw);
  if (!parsed.success) throw new ProbeDecodeError(`probe rejected: ${parsed.error.issues[0]?.path.join(".") ?? ""} ${parsed.error.issues[0]?.message ?? ""}`);
  const { v: _v, ...message } = parsed.data;
  return message;
}
