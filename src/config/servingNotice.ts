// What a rejected configuration leaves serving, said the same way by every source (file, Kubernetes, status).

export const LAST_GOOD_SERVES = "the last good configuration keeps serving";
export const NOTHING_SERVED = "no configuration has been published yet: waiting for a valid one (nothing is served)";

export function servingNotice(hasServingConfig: boolean): string {
  return hasServingConfig ? LAST_GOOD_SERVES : NOTHING_SERVED;
}
