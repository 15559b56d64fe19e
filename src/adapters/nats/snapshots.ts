import { jetstreamManager, StorageType, type JetStreamManager } from "@nats-io/jetstream";
import { Kvm, type KV } from "@nats-io/kv";
import type { NatsConnection } from "@nats-io/transport-node";
import { decodeSnapshot, encodeSnapshot, type Snapshot } from "../../projections/snapshot.js";
import type { LogState } from "../../projections/logState.js";
import { storedEventDigest } from "./storedEvent.js";
import { SNAPSHOT_BUCKET, SNAPSHOT_KEYS } from "../../events/permissions.js";

export { SNAPSHOT_BUCKET };
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
  ) {}

  /** While held (a state from a snapshot no replay has confirmed yet, snapshotAudit.ts), nothing is saved. */
  private held = false;

  hold(held: boolean): void {
    this.held = held;
  }

  /** Opens the bucket `vipmesh log init` created (agents do not create it: logGuard.ts waits for it). */
  static async open(nc: NatsConnection, key: SnapshotKey): Promise<SnapshotStore> {
    return new SnapshotStore(await new Kvm(nc).open(SNAPSHOT_BUCKET), key, await jetstreamManager(nc));
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
    try {
      if (entry) await this.kv.update(this.key, encodeSnapshot(state, digest), entry.revision);
      else await this.kv.create(this.key, encodeSnapshot(state, digest));
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
