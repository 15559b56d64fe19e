import { z } from "zod";

// Kubernetes' rules for object names, label keys and values, and lists that may not repeat an entry. The CRDs
// (src/kube/crds) check them at `kubectl apply` with these patterns, and the file source with these schemas, so a
// file is refused for what the API server would refuse.

const LABEL_NAME = "[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?";
const DNS_SUBDOMAIN = "[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*";
export const LABEL_KEY_PATTERN = `^(${DNS_SUBDOMAIN}/)?${LABEL_NAME}$`;
export const LABEL_VALUE_PATTERN = `^(${LABEL_NAME})?$`;
export const DNS_LABEL_PATTERN = "^[a-z0-9]([-a-z0-9]*[a-z0-9])?$";
export const DNS_SUBDOMAIN_PATTERN = `^${DNS_SUBDOMAIN}$`;

export const objectNameSchema = z
  .string()
  .min(1)
  .max(253)
  .regex(new RegExp(DNS_SUBDOMAIN_PATTERN), "must be lower case letters, digits, '-' and '.', starting and ending with a letter or digit (a DNS subdomain)");
export const labelKeySchema = z.string().max(317).regex(new RegExp(LABEL_KEY_PATTERN), "must be a valid label key (an optional DNS prefix and '/', then at most 63 of [A-Za-z0-9-_.])");
export const labelValueSchema = z.string().max(63).regex(new RegExp(LABEL_VALUE_PATTERN), "must be a valid label value (at most 63 of [A-Za-z0-9-_.], starting and ending with a letter or digit)");
export const dnsLabelSchema = z.string().max(63).regex(new RegExp(DNS_LABEL_PATTERN), "must be a DNS label (lower case letters, digits and '-')");

/** A list of at most `max` entries in which an entry may appear once (the CRDs' `x-kubernetes-list-type: set`). */
export function uniqueList<T extends z.ZodType>(item: T, max: number, min = 0) {
  return z
    .array(item)
    .min(min)
    .max(max)
    .superRefine((list, ctx) => {
      list.forEach((v, i) => {
        if (list.findIndex((w) => JSON.stringify(w) === JSON.stringify(v)) !== i) ctx.addIssue({ code: "custom", path: [i], message: `Duplicate value: ${JSON.stringify(v)}` });
      });
    });
}
