import { jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { decodeSnapshot, encodeSnapshot, type Snapshot } from "../../projections/snapshot.js";
import type { LogState } from "../../projections/logState.js";
import { storedEventDigest } from "./storedEvent.js";
import { SNAPSHOT_BUCKET, SNAPSHOT_KEYS } from "../../events/permissions.js";

export { SNAPSHOT_BUCKET };

/** NATS's default max_payload, for a connection that has not reported its server's. */
const DEFAULT_MAX_PAYLOAD = 1024 * 1024;
const SNAPSHOT_HEADROOM_BYTES = 4096;
export type SnapshotKey = (typeof SNAPSHOT_KEYS)[keyof typeof SNAPSHOT_KEYS];
/** Every key a snapshot may be stored under: one per role that writes them. */
export const SNAPSHOT_KEY_LIST: readonly SnapshotKey[] = Object.values(SNAPSHOT_KEYS);

/**
 * Snapshots of the EVENTS projection in a KV bucket, one key per role that writes them (speakers, allocators): an
 * agent may store a newer one under its role's key (the server lets it write no other); older ones never win.
 */
export class SnapshotStore {
  private constructor(
    private readonly kv: KV,
    private readonly key: SnapshotKey,
    private readonly jsm: JetStreamManager,
    /** The server's max_payload: a larger snapshot cannot be stored (10,000 Services are about 7 MB). */
    private readonly maxBytes: number,
    private readonly log: Logger | null,
  ) {}

  /**
   * The sequence of the last state whose snapshot was over maxBytes. The next try waits until the log has doubled
   * since: encoding a state of 10,000 Services every 1,000 events only to have the server refuse it cost a speaker
   * tens of megabytes of garbage each time, and the state rarely shrinks.
   */
  private tooLargeAt: number | null = null;

  /** Why the last snapshot was not stored for its size, if it was not (for the agent's log, once). */
  tooLarge: { seq: number; bytes: number; maxBytes: number } | null = null;

  /** While held (a state from a snapshot no replay has confirmed yet, snapshotAudit.ts), nothing is saved. */
  private held = false;

  hold(held: boolean): void {
    this.held = held;
  }

  /** Opens the bucket `vipmesh log init` created (agents do not create it: logGuard.ts waits for it). */
  static async open(nc: NatsConnection, key: SnapshotKey, log: Logger | null = null): Promise<SnapshotStore> {
    return new SnapshotStore(await new Kvm(nc).open(SNAPSHOT_BUCKET), key, await jetstreamManager(nc), nc.info?.max_payload ?? DEFAULT_MAX_PAYLOAD, log);
  }

  /** Creates the bucket, or leaves an existing one alone: the admin's install step. */
  static async create(nc: NatsConnection, replicas: number): Promise<void> {
    await new Kvm(nc).create(SNAPSHOT_BUCKET, { history: 1, replicas, storage: StorageType.File });
  }

  /**
   * The stored snapshot, or null with the reason it could not be used. A snapshot only saves replay time: if the
   * bucket cannot answer (a freshly created replicated bucket has "no responders" until its replicas serve), the
   * read is retried briefly and then the agent rebuilds from the log instead of failing.
   */
  async load(attempts = 6): Promise<{ snapshot: Snapshot | null; problem: string | null }> {
    let entry: Awaited<ReturnType<KV["get"]>> = null;
    for (let attempt = 1; ; attempt++) {
      try {
        entry = await this.kv.get(this.key);
        break;
      } catch (err) {
        if (attempt >= attempts) return { snapshot: null, problem: `snapshot store unavailable: ${(err as Error).message}` };
        await new Promise((r) => setTimeout(r, Math.min(2_000, 100 * 2 ** attempt) * (0.5 + Math.random() / 2)));
      }
    }
    if (!entry || entry.operation !== "PUT") return { snapshot: null, problem: null };
    try {
      return { snapshot: decodeSnapshot(entry.string()), problem: null };
    } catch (err) {
      return { snapshot: null, problem: (err as Error).message };
    }
  }

  /**
   * Stores `state` unless the bucket already holds a snapshot at or beyond its sequence. A caller that has
   * caught up with the stream knows a stored snapshot beyond its own sequence is bogus, and replaces it.
   */
  async save(state: LogState, caughtUp: boolean): Promise<boolean> {
    if (this.held) return false;
    if (this.tooLargeAt !== null && state.seq < this.tooLargeAt * 2) return false;
    const entry = await this.kv.get(this.key);
    let current = 0;
    if (entry?.operation === "PUT") {
      try {
        current = decodeSnapshot(entry.string()).seq;
      } catch {
        current = 0;
      }
    }
    if (current === state.seq || (current > state.seq && !caughtUp)) return false;
    // The digest of the message the state covers, which readers check against the stream (startPoint.ts).
    const digest = await storedEventDigest(this.jsm, state.seq);
    if (digest === null) return false;
    const text = encodeSnapshot(state, digest);
    // Bytes, not characters; the headers a KV put adds need some room too.
    const bytes = Buffer.byteLength(text);
    if (bytes > this.maxBytes - SNAPSHOT_HEADROOM_BYTES) {
      if (this.tooLargeAt === null) this.log?.warn({ seq: state.seq, bytes, maxPayload: this.maxBytes }, "snapshot larger than the server's max_payload: not stored (starting agents replay the log); tried again when the log has doubled");
      this.tooLargeAt = state.seq;
      this.tooLarge = { seq: state.seq, bytes, maxBytes: this.maxBytes };
      return false;
    }
    this.tooLargeAt = null;
    this.tooLarge = null;
    try {
      if (entry) await this.kv.update(this.key, text, entry.revision);
      else await this.kv.create(this.key, text);
      return true;
    } catch {
      return false; // Another agent stored one first; theirs is at least as new.
    }
  }

  /** Replaces whatever is stored (a snapshot a replay of the log disproved) with `state`, proven by that replay. */
  async replace(state: LogState): Promise<boolean> {
    const digest = await storedEventDigest(this.jsm, state.seq);
    if (digest === null) return false;
    await this.kv.put(this.key, encodeSnapshot(state, digest));
    return true;
  }
}
