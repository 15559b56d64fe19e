import { describe, expect, it } from "vitest";
import { judgeReview, NODE_NAME_EXTRA, POD_NAME_EXTRA, precheckToken, unverifiedClaims, type TokenReviewStatus, type UnverifiedClaims } from "../../src/kube/natsCallout/speakerToken.js";

// Who a speaker's ServiceAccount token logs in as (src/kube/natsCallout/speakerToken.ts): the checks before the
// TokenReview and the verdict on its answer. The real API server's answers are in test/integration/nats-auth-callout.test.ts.

const policy = { audience: "vipmesh-nats", namespace: "metallb-system", serviceAccount: "vipmesh-speaker" };
const NOW = 1_800_000_000;
const jwt = (payload: unknown): string => `${Buffer.from('{"alg":"RS256"}').toString("base64url")}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.c2ln`;
const reason = (r: unknown): string => ((r as { ok?: boolean; reason?: string }).ok === false ? (r as { reason: string }).reason : "passed");

describe("before the review", () => {
  it.each<[string, string | undefined, string]>([
    ["no token", undefined, "no-token"],
    ["an empty token", "", "no-token"],
    ["not a JWT", "let-me-in", "malformed-token"],
    ["a JWT whose payload is not JSON", "a.b.c", "malformed-token"],
    ["no expiry (a legacy Secret token)", jwt({ aud: ["vipmesh-nats"] }), "no-expiry"],
    ["expired", jwt({ aud: ["vipmesh-nats"], exp: NOW - 1 }), "expired"],
    ["expiring this second", jwt({ aud: ["vipmesh-nats"], exp: NOW }), "expired"],
    ["for the API server's audience", jwt({ aud: ["https://kubernetes.default.svc"], exp: NOW + 600 }), "wrong-audience"],
    ["for vipmesh-nats (aud as a string)", jwt({ aud: "vipmesh-nats", exp: NOW + 600 }), "passed"],
    ["for vipmesh-nats among others", jwt({ aud: ["x", "vipmesh-nats"], exp: NOW + 600 }), "passed"],
  ])("%s: %s", (_name, token, expected) => {
    expect(reason(precheckToken(token, NOW, policy))).toBe(expected);
  });

  it("reads the claims it needs and nothing is trusted beyond them", () => {
    expect(unverifiedClaims(jwt({ aud: "a", exp: 5, sub: "s" }))).toEqual({ aud: ["a"], exp: 5, sub: "s" });
    expect(unverifiedClaims(`${"a".repeat(20_000)}.b.c`)).toBeNull();
  });
});

describe("the review's verdict", () => {
  const claims: UnverifiedClaims = { aud: ["vipmesh-nats"], exp: NOW + 600, sub: null };
  const user = (username: string, extra: Record<string, string[]> = { [NODE_NAME_EXTRA]: ["node-a"], [POD_NAME_EXTRA]: ["speaker-x"] }): NonNullable<TokenReviewStatus["user"]> => ({ username, extra });
  const speaker = "system:serviceaccount:metallb-system:vipmesh-speaker";
  it.each<[string, TokenReviewStatus, string]>([
    ["not authenticated (expired, bad signature, Pod deleted)", { authenticated: false, error: "token has been invalidated" }, "not-authenticated"],
    ["authenticated for another audience", { authenticated: true, audiences: ["other"], user: user(speaker) }, "wrong-audience"],
    ["another ServiceAccount", { authenticated: true, audiences: ["vipmesh-nats"], user: user("system:serviceaccount:metallb-system:intruder") }, "wrong-service-account"],
    ["the speaker's name in another namespace", { authenticated: true, audiences: ["vipmesh-nats"], user: user("system:serviceaccount:default:vipmesh-speaker") }, "wrong-service-account"],
    ["bound to no node", { authenticated: true, audiences: ["vipmesh-nats"], user: user(speaker, {}) }, "no-node"],
    ["a speaker's token bound to a Pod on node-a", { authenticated: true, audiences: ["vipmesh-nats"], user: user(speaker) }, "passed"],
  ])("%s", (_name, status, expected) => {
    expect(reason(judgeReview(status, claims, policy))).toBe(expected);
  });

  it("logs in as the bound node, until the token expires", () => {
    expect(judgeReview({ authenticated: true, audiences: ["vipmesh-nats"], user: user(speaker) }, claims, policy)).toEqual({ ok: true, node: "node-a", pod: "speaker-x", expiresAt: NOW + 600 });
  });
});
