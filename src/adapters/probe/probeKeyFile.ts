import { readFileSync } from "node:fs";
import type { Logger } from "pino";
import { parseProbeKeys, ProbeKeyError, type ProbeKeyring } from "../../protocols/fence/probeKeys.js";

const PROBE_KEY_POLL_MS = 2_000;

function readKeyText(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code === "ENOENT" ? "does not exist" : `cannot be read (${(err as Error).message})`;
    throw new ProbeKeyError(`probe key file ${path} ${reason}`);
  }
}


/**
 * The keys of a file, read again every `pollMs` (a Kubernetes Secret volume is updated by swapping a symlink, which
 * file watches miss). A file that turns invalid or disappears is reported once, and the last good keys stay in use.
 */
export class WatchedProbeKeys {
  private current: ProbeKeyring;
  private lastText: string;
  private readonly timer: ReturnType<typeof setInterval>;

  constructor(
    private readonly path: string,
    private readonly log: Logger,
    pollMs = PROBE_KEY_POLL_MS,
  ) {
    const text = readKeyText(path);
    this.current = parseProbeKeys(text, `probe key file ${path}`);
    this.lastText = text;
    this.timer = setInterval(() => this.reload(), pollMs);
    this.timer.unref();
  }

  get keyring(): ProbeKeyring {
    return this.current;
  }

  close(): void {
    clearInterval(this.timer);
  }

  private reload(): void {
    let text: string;
    try {
      text = readFileSync(this.path, "utf8");
    } catch (err) {
      if (this.lastText !== "") this.log.error({ file: this.path, err: (err as Error).message }, "probe key file unreadable; the previous keys stay in use");
      this.lastText = "";
      return;
    }
    if (text === this.lastText) return;
    this.lastText = text;
    try {
      this.current = parseProbeKeys(text, `probe key file ${this.path}`);
      this.log.info({ file: this.path, sendKeyId: this.current.sendId, keyIds: [...this.current.keys.keys()] }, "probe keys reloaded");
    } catch (err) {
      this.log.error({ file: this.path, err: (err as Error).message }, "probe key file invalid; the previous keys stay in use");
    }
  }
}
