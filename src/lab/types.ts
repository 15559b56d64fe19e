import type { NatsSecurityKit } from "../testing/natsSecurityKit.js";
// Shared types of the lab library (network-namespace test bed for vipmesh).

/** A namespace role inside one lab run: the switch, the NATS host, the client, or a node (1-based). */
export type LabRole = "sw" | "nats" | "client" | `node${number}`;

/** Structural logger: a pino Logger satisfies it, and so does `silentLog`. */
export interface LabLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
  debug(obj: object, msg?: string): void;
}

export const silentLog: LabLogger = {
  info: () => undefined,
  warn: () => undefined,
  debug: () => undefined,
};

export interface ProcExit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

/** A process started inside a lab namespace (via `ip netns exec`, which execs, so `pid` is the process itself). */
export interface ProcHandle {
  readonly name: string;
  readonly role: LabRole;
  readonly pid: number;
  /** Resolves once the process has exited (never rejects). */
  readonly exited: Promise<ProcExit>;
  /** True until the process has exited. */
  readonly running: boolean;
  /** Sends a signal; no-op when already exited. */
  kill(signal?: NodeJS.Signals): void;
  /** SIGTERM, then SIGKILL after `graceMs`; resolves on exit. */
  stop(graceMs?: number): Promise<ProcExit>;
}

export interface SpawnOptions {
  /** Extra environment variables (merged over the current environment). */
  env?: Record<string, string>;
  /** Called with each stdout line (without the newline). */
  onLine?: (line: string) => void;
  /** Called with each stderr line. */
  onStderrLine?: (line: string) => void;
  /** Name used for the log file `<runDir>/<name>.log` (stdout+stderr); default `<role>-<argv0>`. */
  name?: string;
  /** Working directory. */
  cwd?: string;
}

export interface ExecResult {
  stdout: string;
  stderr: string;
}

export interface ExecOptions {
  /** Data written to stdin. */
  input?: string;
  /** Kill the command after this long (default 30 s). */
  timeoutMs?: number;
  /** Do not throw on a non-zero exit; the caller looks at `code`. */
  allowFail?: boolean;
}

/** What the feature modules (nats, backend, prober, capture) need from a lab. `Lab` implements it. */
export interface LabContext {
  readonly runDir: string;
  /** The run's NATS PKI and users (TLS with client certificates, a password per agent), made on first use. */
  readonly natsKit: NatsSecurityKit;
  readonly log: LabLogger;
  /** The namespace name of a role in this run. */
  ns(role: LabRole): string;
  exec(role: LabRole, argv: readonly string[], opts?: ExecOptions): Promise<ExecResult & { code: number | null }>;
  spawn(role: LabRole, argv: readonly string[], opts?: SpawnOptions): ProcHandle;
  /** True when a TCP connect from inside `role` to host:port succeeds within timeoutMs. */
  tcpCheck(role: LabRole, host: string, port: number, timeoutMs?: number): Promise<boolean>;
}
