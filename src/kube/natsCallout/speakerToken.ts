// Whether a speaker's ServiceAccount token may log in to NATS, and as which node: pure checks of the token's own
// claims (before asking the API server) and of the API server's TokenReview verdict. The node is the one the token
// is bound to (a pod-bound token of a pod scheduled on a node carries it, kube-apiserver 1.30+), never one the
// client names.

export const NODE_NAME_EXTRA = "authentication.kubernetes.io/node-name";
export const POD_NAME_EXTRA = "authentication.kubernetes.io/pod-name";

export const CALLOUT_REFUSALS = [
  "no-token",
  "malformed-token",
  "expired",
  "no-expiry",
  "wrong-audience",
  "not-authenticated",
  "wrong-service-account",
  "no-node",
  "review-failed",
  "busy",
  "bad-request",
] as const;
export type CalloutRefusalReason = (typeof CALLOUT_REFUSALS)[number];

export type Refusal = { ok: false; reason: CalloutRefusalReason; detail: string };
export type SpeakerLogin = { ok: true; node: string; pod: string | null; expiresAt: number };

/** What a speaker's token must be: for `audience`, of ServiceAccount `serviceAccount` in `namespace`. */
export type SpeakerTokenPolicy = { audience: string; namespace: string; serviceAccount: string };

/** The claims read from the token before it is reviewed (not trusted until the API server says it is valid). */
export type UnverifiedClaims = { aud: string[]; exp: number | null; sub: string | null };

/** TokenReview `status` as the API server answers it. */
export type TokenReviewStatus = {
  authenticated?: boolean;
  error?: string;
  audiences?: string[];
  user?: { username?: string; extra?: Record<string, string[] | undefined> };
};

const refuse = (reason: CalloutRefusalReason, detail: string): Refusal => ({ ok: false, reason, detail });

/** The payload of a JWT (no signature check: the API server does that), or null when it is not one. */
export function unverifiedClaims(token: string): UnverifiedClaims | null {
  const parts = token.split(".");
  if (parts.length !== 3 || token.length > 16_384) return null;
  let payload: unknown;
  try {
    payload = JSON.parse(Buffer.from(parts[1] ?? "", "base64url").toString("utf8"));
  } catch {
    return null;
  }
  if (typeof payload !== "object" || payload === null) return null;
  const p = payload as Record<string, unknown>;
  const aud = typeof p["aud"] === "string" ? [p["aud"]] : Array.isArray(p["aud"]) ? p["aud"].filter((a): a is string => typeof a === "string") : [];
  return { aud, exp: typeof p["exp"] === "number" ? p["exp"] : null, sub: typeof p["sub"] === "string" ? p["sub"] : null };
}

/** Refuses what needs no API call: no token, not a JWT, expired (`nowSec`: seconds), without expiry, another audience. */
export function precheckToken(token: string | undefined, nowSec: number, policy: SpeakerTokenPolicy): Refusal | UnverifiedClaims {
  if (token === undefined || token === "") return refuse("no-token", "the client sent no token (a speaker connects with --nats-token-file)");
  const claims = unverifiedClaims(token);
  if (!claims) return refuse("malformed-token", "the token is not a JWT");
  if (claims.exp === null) return refuse("no-expiry", "the token has no expiry (a legacy Secret token?): use a projected, audience-bound token");
  if (claims.exp <= nowSec) return refuse("expired", `the token expired ${nowSec - claims.exp} s ago`);
  if (!claims.aud.includes(policy.audience)) return refuse("wrong-audience", `the token is for ${JSON.stringify(claims.aud)}, not "${policy.audience}"`);
  return claims;
}

/** The node a reviewed token logs in as, or why it may not log in. */
export function judgeReview(status: TokenReviewStatus, claims: UnverifiedClaims, policy: SpeakerTokenPolicy): Refusal | SpeakerLogin {
  if (status.authenticated !== true) return refuse("not-authenticated", `the API server did not authenticate the token: ${status.error ?? "no reason given"}`);
  if (!(status.audiences ?? []).includes(policy.audience)) return refuse("wrong-audience", `the API server validated the token for ${JSON.stringify(status.audiences ?? [])}, not "${policy.audience}"`);
  const expected = `system:serviceaccount:${policy.namespace}:${policy.serviceAccount}`;
  const username = status.user?.username ?? "";
  if (username !== expected) return refuse("wrong-service-account", `the token is of ${username || "nobody"}, not ${expected}`);
  const node = status.user?.extra?.[NODE_NAME_EXTRA]?.[0];
  if (!node) return refuse("no-node", "the token is bound to no node (create it bound to the speaker's Pod: a projected volume does)");
  if (claims.exp === null) return refuse("no-expiry", "the token has no expiry");
  return { ok: true, node, pod: status.user?.extra?.[POD_NAME_EXTRA]?.[0] ?? null, expiresAt: claims.exp };
}
