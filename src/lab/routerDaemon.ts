// One BGP router implementation (FRR, BIRD 2 or GoBGP) in a network namespace, behind one small interface, so a lab
// test can run the same checks against each: is the session up, which paths (next hops) does the router hold for a
// prefix, and what RFC 9003 shutdown communication did it last receive from a neighbor.
import { BirdDaemon } from "./birdDaemon.js";
import { FrrPeerDaemon } from "./frrPeerDaemon.js";
import { GobgpDaemon } from "./gobgpDaemon.js";

export const ROUTER_KINDS = ["frr", "bird", "gobgp"] as const;
export type RouterKind = (typeof ROUTER_KINDS)[number];

export type RouterFamily = "ipv4" | "ipv6";

export type RouterNeighborSpec = {
  address: string;
  asn: number;
  /** TCP MD5 (RFC 2385). */
  password?: string;
  /** Address families activated on the session; default: the family of `address` only. */
  families?: readonly RouterFamily[];
};

export type RouterSpec = {
  asn: number;
  /** BGP identifier, an IPv4 address of the router. */
  routerId: string;
  /** Hold time offered (s); keepalive is a third of it. */
  holdTimeS: number;
  neighbors: readonly RouterNeighborSpec[];
  /** BFD beside every BGP session (BIRD only, for now): the router's interval both ways and multiplier. */
  bfd?: { intervalMs: number; multiplier: number };
};

/** One path the router holds for a prefix: who sent it and its (global) next hop. */
export type RouterPath = { from: string; nextHop: string };

export interface RouterDaemon {
  readonly kind: RouterKind;
  readonly ns: string;
  /** Writes the configuration for `spec` and starts the daemon(s) in the namespace. */
  start(spec: RouterSpec): Promise<void>;
  established(neighbor: string): Promise<boolean>;
  /** Every path held for exactly `prefix` (canonical text), sorted by sender. */
  paths(prefix: string): Promise<RouterPath[]>;
  /** The RFC 9003 shutdown communication of the last Cease received from `neighbor`, if the router reports one. */
  lastShutdownMessage(neighbor: string): Promise<string | undefined>;
  /** Removes the configuration directory; the daemon dies with its namespace. */
  removeDir(): void;
}

export function neighborFamilies(n: RouterNeighborSpec): readonly RouterFamily[] {
  return n.families ?? [n.address.includes(":") ? "ipv6" : "ipv4"];
}

export const byFrom = (a: RouterPath, b: RouterPath): number => (a.from < b.from ? -1 : a.from > b.from ? 1 : 0);

/** A daemon of `kind` for namespace `ns`; `labPrefix` names its directory so the stale-run sweep finds it. */
export function routerDaemon(kind: RouterKind, ns: string, labPrefix: string): RouterDaemon {
  switch (kind) {
    case "frr":
      return new FrrPeerDaemon(ns, labPrefix);
    case "bird":
      return new BirdDaemon(ns, labPrefix);
    case "gobgp":
      return new GobgpDaemon(ns, labPrefix);
  }
}
