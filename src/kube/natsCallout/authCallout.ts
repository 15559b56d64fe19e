import type { Msg, NatsConnection } from "@nats-io/transport-node";
import type { Logger } from "pino";
import { closeNats, connectUnlessStopped } from "../../adapters/nats/connect.js";
import type { NatsClientSecurity } from "../../adapters/nats/security.js";
import { byLabel, observedCounter, observedGauge, single } from "../../adapters/metrics/observed.js";
import type { AgentMonitor } from "../../agents/health/monitor.js";
import { AUTH_CALLOUT_SUBJECT, permissionsFor } from "../../events/permissions.js";
import { toToken } from "../../events/subjects.js";
import type { KubeCredentials } from "../credentials.js";
import { issueUser, readAuthRequest, respond, SERVER_XKEY_HEADER, type AuthRequest, type CalloutKeys } from "./calloutClaims.js";
import { judgeReview, precheckToken, type Refusal, type SpeakerLogin, type SpeakerTokenPolicy } from "./speakerToken.js";
import { reviewToken } from "./tokenReview.js";

// NATS auth callout served by the controller (every replica, one queue group: each request reaches one of them). A
// speaker connects with its projected ServiceAccount token; the API server reviews it; the speaker gets a user with
// exactly the speaker role of the node its token is bound to, expiring with the token. Bounded: at most
// `maxInFlight` requests are reviewed at once (more are refused as `busy` at once), each review waits at most
// `reviewTimeoutMs`, so a slow API server makes logins fail, never the NATS server wait on this service.

export const CALLOUT_QUEUE = "vipmesh-auth-callout";

export type AuthCalloutOptions = {
  natsServers: string[];
  natsSecurity: NatsClientSecurity;
  kc: KubeCredentials;
  policy: SpeakerTokenPolicy;
  keys: CalloutKeys;
  maxInFlight: number;
  reviewTimeoutMs: number;
  log: Logger;
  monitor?: AgentMonitor;
  /** Seconds since the epoch (the token's expiry is compared with it). */
  nowSec?: () => number;
};

export type CalloutCounts = Counts;
type Counts = { accepted: number; refused: Record<string, number>; inFlight: number };

export async function runAuthCallout(opts: AuthCalloutOptions, signal: AbortSignal): Promise<void> {
  const log = opts.log;
  const nc = await connectUnlessStopped({ servers: opts.natsServers, security: opts.natsSecurity, name: "vipmesh-auth-callout", pingIntervalMs: 2_000, log, signal });
  if (!nc) return;
  const counts: Counts = { accepted: 0, refused: {}, inFlight: 0 };
  if (opts.monitor) registerCalloutMetrics(opts.monitor, counts);
  nc.subscribe(AUTH_CALLOUT_SUBJECT, { queue: CALLOUT_QUEUE, callback: (err, msg) => (err ? log.warn({ err: err.message }, "auth callout subscription error") : void handle(msg)) });
  log.info({ subject: AUTH_CALLOUT_SUBJECT, queue: CALLOUT_QUEUE, serviceAccount: `${opts.policy.namespace}/${opts.policy.serviceAccount}`, audience: opts.policy.audience }, "serving NATS auth callout for speakers");

  async function handle(msg: Msg): Promise<void> {
    let req: AuthRequest;
    try {
      req = readAuthRequest(msg.data, msg.headers?.get(SERVER_XKEY_HEADER) || null, opts.keys);
    } catch (err) {
      // Without a valid request there is nobody to answer: the server times the login out and refuses it.
      count({ ok: false, reason: "bad-request", detail: (err as Error).message }, null);
      return;
    }
    if (counts.inFlight >= opts.maxInFlight) {
      await answer(msg, req, { ok: false, reason: "busy", detail: `${counts.inFlight} logins are being reviewed already` });
      return;
    }
    counts.inFlight++;
    try {
      await answer(msg, req, await decide(req));
    } finally {
      counts.inFlight--;
    }
  }

  async function decide(req: AuthRequest): Promise<Refusal | SpeakerLogin> {
    const nowSec = opts.nowSec?.() ?? Math.floor(Date.now() / 1000);
    const claims = precheckToken(req.token, nowSec, opts.policy);
    if ("ok" in claims) return claims;
    try {
      const status = await reviewToken(opts.kc, req.token ?? "", opts.policy.audience, opts.reviewTimeoutMs);
      return judgeReview(status, claims, opts.policy);
    } catch (err) {
      return { ok: false, reason: "review-failed", detail: `TokenReview failed: ${(err as Error).message}` };
    }
  }

  async function answer(msg: Msg, req: AuthRequest, verdict: Refusal | SpeakerLogin): Promise<void> {
    try {
      const outcome = verdict.ok
        ? { jwt: await issueUser(req, `speaker-${verdict.node}`, permissionsFor({ role: "speaker", id: toToken(verdict.node) }), verdict.expiresAt, opts.keys) }
        : { error: `${verdict.reason}: ${verdict.detail}` };
      msg.respond(await respond(req, outcome, opts.keys));
      count(verdict, req);
    } catch (err) {
      log.error({ err: (err as Error).message, client: req.client }, "auth callout: could not answer a login");
    }
  }

  function count(verdict: Refusal | SpeakerLogin, req: AuthRequest | null): void {
    const client = req?.client ?? null;
    if (verdict.ok) {
      counts.accepted++;
      log.info({ node: verdict.node, pod: verdict.pod, client, expiresAt: new Date(verdict.expiresAt * 1000).toISOString() }, "speaker logged in to NATS");
      return;
    }
    counts.refused[verdict.reason] = (counts.refused[verdict.reason] ?? 0) + 1;
    log.warn({ reason: verdict.reason, detail: verdict.detail, client }, `NATS login refused: ${verdict.reason}`);
  }

  await new Promise<void>((resolve) => (signal.aborted ? resolve() : signal.addEventListener("abort", () => resolve(), { once: true })));
  await closeNats(nc as NatsConnection);
}

export function registerCalloutMetrics(monitor: AgentMonitor, counts: Counts): void {
  observedCounter<"result" | "reason">(monitor.metrics, {
    name: "vipmesh_nats_callout_logins_total",
    help: "NATS logins the auth callout decided, by result (accepted, refused) and reason of a refusal",
    labelNames: ["result", "reason"],
    read: () => [{ labels: { result: "accepted", reason: "" }, value: counts.accepted }, ...byLabel<"result" | "reason">("reason", counts.refused, { result: "refused" })],
  });
  observedGauge(monitor.metrics, { name: "vipmesh_nats_callout_in_flight", help: "NATS logins being reviewed now", read: () => single(counts.inFlight) });
}
