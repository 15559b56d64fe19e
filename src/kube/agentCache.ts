import { createHash } from "node:crypto";
import { Agent, type RequestOptions } from "node:https";

// @kubernetes/client-node puts a new https.Agent on every request's options, so every request would pay a TCP and
// TLS handshake. This keeps one keep-alive agent per distinct TLS material (CA, client certificate and key,
// verification), so requests reuse connections; a rotated client certificate gets a new agent and the old one is
// closed.

const material = (v: unknown): string => (v === undefined || v === null ? "" : Buffer.isBuffer(v) ? v.toString("base64") : String(v));

export class AgentCache {
  private key = "";
  private agent: Agent | null = null;

  /** Replaces `opts.agent` with the shared agent for the TLS material in `opts`. */
  reuse(opts: RequestOptions): void {
    const key = createHash("sha256")
      .update([material(opts.ca), material(opts.cert), material(opts.key), material(opts.rejectUnauthorized), material(opts.servername)].join("|"))
      .digest("hex");
    if (!this.agent || key !== this.key) {
      this.agent?.destroy();
      this.key = key;
      this.agent = new Agent({
        keepAlive: true,
        ...(opts.ca ? { ca: opts.ca } : {}),
        ...(opts.cert ? { cert: opts.cert } : {}),
        ...(opts.key ? { key: opts.key } : {}),
        ...(opts.rejectUnauthorized === undefined ? {} : { rejectUnauthorized: opts.rejectUnauthorized }),
        ...(opts.servername ? { servername: opts.servername } : {}),
      });
    }
    opts.agent = this.agent;
  }
}
