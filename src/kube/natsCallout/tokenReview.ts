import type { KubeCredentials } from "../credentials.js";
import { kubeRequest } from "../http.js";
import type { TokenReviewStatus } from "./speakerToken.js";

// One TokenReview (authentication.k8s.io/v1): the API server checks the token's signature, expiry, audience and that
// the object it is bound to (the speaker's Pod) still exists. Needs `create tokenreviews` (the chart's ClusterRole).

export async function reviewToken(kc: KubeCredentials, token: string, audience: string, timeoutMs: number): Promise<TokenReviewStatus> {
  const body = { apiVersion: "authentication.k8s.io/v1", kind: "TokenReview", spec: { token, audiences: [audience] } };
  const answer = await kubeRequest<{ status?: TokenReviewStatus }>(kc, { method: "POST", path: "/apis/authentication.k8s.io/v1/tokenreviews", body }, AbortSignal.timeout(timeoutMs));
  return answer.status ?? {};
}
