import { AuthenticationV1Api, Observable, type ConfigurationOptions, type RequestContext, type ResponseContext } from "@kubernetes/client-node";
import { apiConfigurationOf, kubeCall } from "../apiClient.js";
import type { KubeCredentials } from "../credentials.js";
import type { TokenReviewStatus } from "./speakerToken.js";

// One TokenReview (authentication.k8s.io/v1): the API server checks the token's signature, expiry, audience and that
// the object it is bound to (the speaker's Pod) still exists. Needs `create tokenreviews` (the chart's ClusterRole).

/** Per-call options whose deadline replaces the credentials' 30 s one (middleware runs after the auth method). */
function deadline(ms: number): ConfigurationOptions {
  const pre = (ctx: RequestContext): Observable<RequestContext> => {
    ctx.setSignal(AbortSignal.timeout(ms));
    return new Observable(Promise.resolve(ctx));
  };
  const post = (rsp: ResponseContext): Observable<ResponseContext> => new Observable(Promise.resolve(rsp));
  return { middleware: [{ pre, post }], middlewareMergeStrategy: "append" };
}

export async function reviewToken(kc: KubeCredentials, token: string, audience: string, timeoutMs: number): Promise<TokenReviewStatus> {
  const api = new AuthenticationV1Api(apiConfigurationOf(kc));
  const body = { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, audiences: [audience] } };
  const review = await kubeCall("create tokenreview", () => api.createTokenReview({ body }, deadline(timeoutMs)));
  return review.status ?? {};
}
