// The lab's hostile BGP relay (scripts/lab/bgp-injector.mjs) as a child process, and the malformed UPDATEs the lab
// tests slip through it: one per RFC 7606 kind, plus IPv4 routes with an IPv6 next hop eight times (issue 10 item 6).
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import type { UpdateErrorKind } from "../../src/protocols/bgp/updateErrors.js";
import { attr, msg, updateBody } from "./bgp.js";
import { eventually } from "./frr.js";

const INJECTOR = fileURLToPath(new URL("../../scripts/lab/bgp-injector.mjs", import.meta.url));

export type InjectorEvent = { event: string; port?: number; from?: string; code?: number; subcode?: number; side?: string };

export type InjectorOptions = {
  /** Run inside this namespace (the vipmesh side's); default: the test's own. */
  readonly ns?: string;
  readonly listenAddress?: string;
  readonly listenPort?: number;
};

/** The relay: its events as they arrive, `inject` to send a message toward vipmesh. */
export class Injector {
  readonly events: InjectorEvent[] = [];
  private readonly child: ChildProcessWithoutNullStreams;

  constructor(upstreamHost: string, source: string, o: InjectorOptions = {}) {
    const argv = [process.execPath, INJECTOR, upstreamHost, "179", source, o.listenAddress ?? "127.0.0.1", String(o.listenPort ?? 0)];
    this.child = o.ns === undefined ? spawn(argv[0] as string, argv.slice(1)) : spawn("ip", ["netns", "exec", o.ns, ...argv]);
    createInterface({ input: this.child.stdout }).on("line", (l) => this.events.push(JSON.parse(l) as InjectorEvent));
    this.child.stderr.on("data", (d: Buffer) => process.stderr.write(`bgp-injector: ${d.toString()}`));
  }

  async port(): Promise<number> {
    return eventually("the injector listening", () => this.events.find((e) => e.event === "listening")?.port, 5_000, 20);
  }

  inject(hex: string): void {
    this.child.stdin.write(`inject ${hex}\n`);
  }

  /** A NOTIFICATION went by or a side closed: the session was reset. */
  get reset(): boolean {
    return this.events.some((e) => e.event === "notification" || e.event === "closed");
  }

  stop(): void {
    this.child.stdin.end();
    this.child.kill("SIGTERM");
  }
}

// Built as a peer would send them, each announcing 198.18.250.0/24 (or 198.18.251.0/24 over MP_REACH).
const ORIGIN = attr(0x40, 1, "00");
const AS_PATH = attr(0x40, 2, "02 01 0000fbf9");
const NEXT_HOP = attr(0x40, 3, "c612fa01");
const NLRI = "18 c612fa";
const update = (attrs: string, nlri = NLRI): string => msg(2, updateBody("", attrs, nlri)).replace(/\s+/g, "");
const V4_WITH_V6_HOP = attr(0x80, 14, "0001 01 10 20010db8000000000000000000000001 00 18 c612fb");

// prettier-ignore
export const MALFORMED_UPDATES: ReadonlyArray<{ name: string; hex: string; times: number; kind: UpdateErrorKind }> = [
  { name: "ORIGIN value 3", hex: update(`${attr(0x40, 1, "03")} ${AS_PATH} ${NEXT_HOP}`), times: 2, kind: "malformedOrigin" },
  { name: "ORIGIN flagged optional", hex: update(`${attr(0xc0, 1, "00")} ${AS_PATH} ${NEXT_HOP}`), times: 1, kind: "attributeFlags" },
  { name: "MULTI_EXIT_DISC of length 2", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x80, 4, "0001")}`), times: 1, kind: "malformedMed" },
  { name: "NLRI without NEXT_HOP", hex: update(`${ORIGIN} ${AS_PATH}`), times: 2, kind: "missingWellKnown" },
  { name: "ORIGIN twice", hex: update(`${ORIGIN} ${attr(0x40, 1, "02")} ${AS_PATH} ${NEXT_HOP}`), times: 1, kind: "repeatedAttribute" },
  { name: "AS_PATH segment type 5", hex: update(`${ORIGIN} ${attr(0x40, 2, "05 01 0000fbf9")} ${NEXT_HOP}`), times: 1, kind: "malformedAsPath" },
  { name: "NEXT_HOP 0.0.0.0", hex: update(`${ORIGIN} ${AS_PATH} ${attr(0x40, 3, "00000000")}`), times: 1, kind: "invalidNextHop" },
  { name: "COMMUNITIES of length 5", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0xc0, 8, "fde8006400")}`), times: 1, kind: "malformedCommunities" },
  { name: "attribute section ends inside NEXT_HOP", hex: update(`${ORIGIN} ${AS_PATH} 40 03 09 c612fa01`), times: 1, kind: "attributeOverrun" },
  { name: "ATOMIC_AGGREGATE with a value", hex: update(`${ORIGIN} ${AS_PATH} ${NEXT_HOP} ${attr(0x40, 6, "00")}`), times: 1, kind: "malformedAtomicAggregate" },
  { name: "IPv4 routes with an IPv6 next hop, no extended next hop", hex: update(`${ORIGIN} ${AS_PATH} ${V4_WITH_V6_HOP}`, ""), times: 8, kind: "ipv6NextHopWithoutExtendedNextHop" },
];

/** Every malformed UPDATE, each as often as the table says. */
export function injectAll(injector: Injector): void {
  for (const c of MALFORMED_UPDATES) for (let i = 0; i < c.times; i++) injector.inject(c.hex);
}
