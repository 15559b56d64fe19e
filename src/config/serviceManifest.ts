import type { z } from "zod";
import { canonicalIp, familyOfText, IpParseError, type Family } from "../net/ip.js";
import type { serviceSchema } from "./manifestSchemas.js";
import type { IpFamilyPolicy, ServiceConfig } from "./types.js";

// A Kubernetes Service manifest to the ServiceConfig IPAM and the speakers use. MetalLB's annotations are read
// under their current name (metallb.io/...) and, as MetalLB does, under the deprecated metallb.universe.tf/... one.

type ServiceManifest = z.infer<typeof serviceSchema>;

export const ANNOTATIONS = {
  loadBalancerIPs: "metallb.io/loadBalancerIPs",
  addressPool: "metallb.io/address-pool",
  allowSharedIp: "metallb.io/allow-shared-ip",
} as const;

const DEPRECATED_PREFIX = "metallb.universe.tf/";

function annotation(annotations: Record<string, string>, name: string): string | undefined {
  return annotations[name] ?? annotations[name.replace("metallb.io/", DEPRECATED_PREFIX)];
}

function canonicalList(texts: readonly string[], field: string, where: string, problems: string[]): string[] {
  const ips: string[] = [];
  for (const text of texts) {
    try {
      ips.push(canonicalIp(text));
    } catch (err) {
      if (!(err instanceof IpParseError)) throw err;
      problems.push(`${where}: ${field}: ${err.message}`);
    }
  }
  return ips;
}

function requestedIps(svc: ServiceManifest, where: string, problems: string[]): string[] {
  const annotated = annotation(svc.metadata.annotations, ANNOTATIONS.loadBalancerIPs);
  if (annotated !== undefined && svc.spec.loadBalancerIP !== undefined) {
    problems.push(`${where}: spec.loadBalancerIP: cannot be combined with the ${ANNOTATIONS.loadBalancerIPs} annotation`);
    return [];
  }
  if (annotated !== undefined) {
    const texts = annotated.split(",").map((s) => s.trim()).filter((s) => s !== "");
    return canonicalList(texts, `metadata.annotations.${ANNOTATIONS.loadBalancerIPs}`, where, problems);
  }
  if (svc.spec.loadBalancerIP === undefined || svc.spec.loadBalancerIP === "") return [];
  return canonicalList([svc.spec.loadBalancerIP], "spec.loadBalancerIP", where, problems);
}

const other = (f: Family): Family => (f === 4 ? 6 : 4);

/**
 * The families the API server would give the Service. Unset ipFamilies default to the family of the first
 * requested (else held) IP, else IPv4; a dual-stack policy adds the other family. With no policy, requesting
 * one IP of each family means RequireDualStack (the file source has no API server to ask).
 */
function families(svc: ServiceManifest, requested: string[], held: string[], where: string, problems: string[]): { policy: IpFamilyPolicy; families: Family[] } {
  const given = (svc.spec.ipFamilies ?? []).map((f): Family => (f === "IPv4" ? 4 : 6));
  if (given.length === 2 && given[0] === given[1]) problems.push(`${where}: spec.ipFamilies: ${svc.spec.ipFamilies?.join(",")} names one family twice`);
  const requestedFamilies = new Set(requested.map(familyOfText));
  const policy = svc.spec.ipFamilyPolicy ?? (given.length === 2 || requestedFamilies.size === 2 ? "RequireDualStack" : "SingleStack");
  if (policy === "SingleStack" && given.length === 2) problems.push(`${where}: spec.ipFamilyPolicy: SingleStack cannot have two ipFamilies`);
  const first: Family = given[0] ?? familyOfText(requested[0] ?? held[0] ?? "0.0.0.0");
  if (policy === "SingleStack") return { policy, families: [first] };
  return { policy, families: [first, given[1] ?? other(first)] };
}

export function toServiceConfig(svc: ServiceManifest, problems: string[]): ServiceConfig {
  const namespace = svc.metadata.namespace ?? "default";
  const where = `Service/${namespace}/${svc.metadata.name}`;
  const requested = requestedIps(svc, where, problems);
  const held = canonicalList(
    (svc.status?.loadBalancer?.ingress ?? []).flatMap((i) => (i.ip === undefined ? [] : [i.ip])),
    "status.loadBalancer.ingress",
    where,
    problems,
  );
  const { policy, families: ipFamilies } = families(svc, requested, held, where, problems);
  const sharing = annotation(svc.metadata.annotations, ANNOTATIONS.allowSharedIp);
  const pool = annotation(svc.metadata.annotations, ANNOTATIONS.addressPool);
  return {
    namespace,
    name: svc.metadata.name,
    labels: svc.metadata.labels,
    requestedIps: requested,
    requestedPool: pool === undefined || pool === "" ? null : pool,
    sharingKey: sharing === undefined || sharing === "" ? null : sharing,
    loadBalancerClass: svc.spec.loadBalancerClass ?? null,
    ipFamilyPolicy: policy,
    ipFamilies,
    ports: svc.spec.ports.map((p) => ({ port: p.port, protocol: p.protocol })),
    selector: svc.spec.selector,
    externalTrafficPolicy: svc.spec.externalTrafficPolicy,
    statusIps: held,
    readyEndpointNodes: [],
  };
}
