// BGPPeer passwords as the speaker uses them: the log names where each one is and its SHA-256; the speaker reads the
// value itself (passwordReaders.ts) and uses it only if it hashes as the log says. A value that does not (the Secret
// not rotated yet where this speaker reads, a file not yet updated) is never used: the peer's session waits, the
// read is retried, and the wait is logged once per reference. withBgpPasswords puts the values into the plan the
// BGP backend (native or FRR) gets; peers still waiting are left out of it.
import type { BgpPasswordRef } from "../../config/types.js";
import { passwordSha256 } from "../../config/bgpPassword.js";
import type { BgpPlan } from "../../projections/bgp/bgpPlan.js";
import type { BgpAnnouncer } from "./bgpAnnouncer.js";

/** Where a speaker reads passwords: its configuration file, or the API server with its own credentials. */
export interface PasswordReader {
  readonly where: string;
  read(ref: BgpPasswordRef): Promise<{ value: string } | { missing: string }>;
}

type PasswordLog = { info(fields: object, msg: string): void; warn(fields: object, msg: string): void };

const refKey = (ref: BgpPasswordRef): string => JSON.stringify(ref);
const describe = (ref: BgpPasswordRef): string =>
  ref.from === "secret" ? `Secret ${ref.namespace ?? "(default namespace)"}/${ref.name} key ${ref.key}` : `BGPPeer ${ref.namespace ?? "(default namespace)"}/${ref.name}`;

class BgpPasswords {
  private readonly values = new Map<string, string>();
  private readonly reading = new Set<string>();
  private readonly waitingWhy = new Map<string, string>();
  private readonly retries = new Set<ReturnType<typeof setTimeout>>();
  private wanted = new Set<string>();
  private closed = false;

  constructor(
    private readonly reader: PasswordReader,
    private readonly log: PasswordLog,
    private readonly onRead: () => void,
    private readonly retryMs = 5_000,
  ) {}

  /** The checked value for `ref`, or undefined while it is being read or does not match its hash. */
  valueFor(ref: BgpPasswordRef): string | undefined {
    const key = refKey(ref);
    const value = this.values.get(key);
    if (value === undefined) this.startReading(ref, key);
    return value;
  }

  /** Forgets values no current peer refers to, so a rotated-away password does not stay in memory. */
  keepOnly(refs: readonly BgpPasswordRef[]): void {
    this.wanted = new Set(refs.map(refKey));
    for (const key of [...this.values.keys()]) if (!this.wanted.has(key)) this.values.delete(key);
  }

  close(): void {
    this.closed = true;
    for (const t of this.retries) clearTimeout(t);
    this.retries.clear();
  }

  private startReading(ref: BgpPasswordRef, key: string): void {
    if (this.closed || this.reading.has(key)) return;
    this.reading.add(key);
    void this.readOnce(ref).then((problem) => {
      this.reading.delete(key);
      if (this.closed) return;
      if (problem === null) {
        if (this.waitingWhy.delete(key)) this.log.info({ password: describe(ref), from: this.reader.where }, "bgp: password read and matches the log's hash");
        return this.onRead();
      }
      if (this.waitingWhy.get(key) !== problem) {
        this.waitingWhy.set(key, problem);
        this.log.warn({ password: describe(ref), from: this.reader.where, problem, retryMs: this.retryMs }, "bgp: waiting for the BGPPeer password; its session stays down");
      }
      const t = setTimeout(() => {
        this.retries.delete(t);
        if (this.wanted.has(key)) this.startReading(ref, key);
      }, this.retryMs);
      this.retries.add(t);
    });
  }

  /** null when the value was read and stored; else what is wrong (never the value). */
  private async readOnce(ref: BgpPasswordRef): Promise<string | null> {
    try {
      const got = await this.reader.read(ref);
      if ("missing" in got) return got.missing;
      const sha256 = passwordSha256(got.value);
      if (sha256 !== ref.sha256) return `the value read hashes to ${sha256.slice(0, 12)}…, the log's to ${ref.sha256.slice(0, 12)}… (not rotated here yet?)`;
      if (this.wanted.has(refKey(ref))) this.values.set(refKey(ref), got.value);
      return null;
    } catch (err) {
      return `cannot read it: ${(err as Error).message}`;
    }
  }
}

/** `inner` given each plan with the peers' checked passwords (md5Key); a peer whose password is not read yet waits. */
export function withBgpPasswords(inner: BgpAnnouncer, reader: PasswordReader, log: PasswordLog, retryMs?: number): BgpAnnouncer {
  let last: BgpPlan | undefined;
  const withKeys = (plan: BgpPlan): BgpPlan => {
    const refs = [...plan.values()].flatMap((p) => (p.peer.password === null ? [] : [p.peer.password]));
    passwords.keepOnly(refs);
    const out: BgpPlan = new Map();
    for (const [name, p] of plan) {
      if (p.peer.password === null) {
        out.set(name, p);
        continue;
      }
      const md5Key = passwords.valueFor(p.peer.password);
      if (md5Key !== undefined) out.set(name, { ...p, md5Key });
    }
    return out;
  };
  const passwords: BgpPasswords = new BgpPasswords(reader, log, () => last !== undefined && inner.update(withKeys(last)), retryMs);
  return {
    begin: (previous, self) => inner.begin(previous, self),
    update(plan) {
      if (plan === last) return;
      last = plan;
      inner.update(withKeys(plan));
    },
    close(options) {
      passwords.close();
      return inner.close(options);
    },
    ...(inner.stats === undefined ? {} : { stats: () => inner.stats!() }),
    ...(inner.backend === undefined ? {} : { backend: inner.backend }),
  };
}
