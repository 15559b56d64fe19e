// A persistent connection to one FRR daemon's vty socket (<dir>/<daemon>.vty), spoken as vtysh speaks it: a
// command and a NUL out; the output and a four-octet trailer (0, 0, 0, status) back. A vtysh process per change
// costs 50-75 ms (start, connect to every daemon); a command on an open connection well under a millisecond.
import net from "node:net";
import { join } from "node:path";

export type VtyReply = { readonly status: number; readonly output: string };

/** FRR's CMD_ERR_NO_MATCH: the command does not exist in the current node. */
export const VTY_NO_MATCH = 2;
const TRAILER = Buffer.from([0, 0, 0]);

export class FrrVty {
  private buf = Buffer.alloc(0);
  private readonly waiting: Array<{ resolve: (r: VtyReply) => void; reject: (e: Error) => void }> = [];
  private closed = false;

  private constructor(private readonly socket: net.Socket) {
    socket.on("data", (d: Buffer) => this.read(d));
    socket.on("close", () => this.fail(new Error("FRR vty connection closed")));
    socket.on("error", (err) => this.fail(err));
  }

  static connect(dir: string, daemon: string, timeoutMs = 2_000): Promise<FrrVty> {
    return new Promise((resolve, reject) => {
      const socket = net.createConnection(join(dir, `${daemon}.vty`));
      const timer = setTimeout(() => socket.destroy(new Error(`FRR vty of ${daemon}: no connection within ${timeoutMs} ms`)), timeoutMs);
      socket.once("connect", () => {
        clearTimeout(timer);
        resolve(new FrrVty(socket));
      });
      socket.once("error", (err) => {
        clearTimeout(timer);
        reject(err);
      });
    });
  }

  /** One command; replies come back in order. */
  command(line: string): Promise<VtyReply> {
    if (this.closed) return Promise.reject(new Error("FRR vty connection closed"));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.socket.write(`${line}\0`);
    });
  }

  close(): void {
    this.closed = true;
    this.socket.destroy();
  }

  get usable(): boolean {
    return !this.closed;
  }

  private read(d: Buffer): void {
    this.buf = Buffer.concat([this.buf, d]);
    for (;;) {
      const end = this.buf.indexOf(TRAILER);
      if (end < 0 || this.buf.length < end + 4) return;
      const reply = { status: this.buf[end + 3] ?? 0, output: this.buf.subarray(0, end).toString("utf8") };
      this.buf = this.buf.subarray(end + 4);
      this.waiting.shift()?.resolve(reply);
    }
  }

  private fail(err: Error): void {
    this.closed = true;
    for (const w of this.waiting.splice(0)) w.reject(err);
  }
}
