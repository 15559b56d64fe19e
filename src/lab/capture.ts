// tcpdump on the switch (br0 in `sw`) recording ARP and NDP, and the per-VIP answer timelines built from it.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { decodeNeighbor, parsePcap } from "./pcap.js";
import type { NeighborPacket } from "./pcap.js";
import { waitFor } from "./run.js";
import type { LabContext, ProcHandle } from "./types.js";

export type AnswerKind = "reply" | "gratuitous" | "na";

/** One claim "ip is at mac" seen on the wire. */
export interface NeighborAnswer {
  t: number;
  ip: string;
  mac: string;
  kind: AnswerKind;
}

export interface AnswerConflict {
  ip: string;
  /** Time of the first and last answer of the interval (epoch ms). */
  from: number;
  to: number;
  macs: string[];
}

/** An ARP reply, a gratuitous ARP (request or reply with sender IP = target IP) or an NDP advertisement. */
export function toAnswer(p: NeighborPacket): NeighborAnswer | undefined {
  if (p.kind === "ndp-na") return { t: p.t, ip: p.targetIp, mac: p.senderMac, kind: "na" };
  if (p.kind === "arp-reply") {
    return { t: p.t, ip: p.senderIp, mac: p.senderMac, kind: p.senderIp === p.targetIp ? "gratuitous" : "reply" };
  }
  if (p.kind === "arp-request" && p.senderIp === p.targetIp && p.senderIp !== "0.0.0.0") {
    return { t: p.t, ip: p.senderIp, mac: p.senderMac, kind: "gratuitous" };
  }
  return undefined;
}

/** Groups answers by IP, each timeline sorted by time. `filter` picks the IPs (default: all). */
export function answersByIp(answers: readonly NeighborAnswer[], filter?: (ip: string) => boolean): Map<string, NeighborAnswer[]> {
  const byIp = new Map<string, NeighborAnswer[]>();
  for (const a of answers) {
    if (filter && !filter(a.ip)) continue;
    const list = byIp.get(a.ip) ?? [];
    list.push(a);
    byIp.set(a.ip, list);
  }
  for (const list of byIp.values()) list.sort((x, y) => x.t - y.t);
  return byIp;
}

/**
 * Intervals in which two different MACs answered for the same IP within `windowMs` of each other
 * (overlapping intervals merged). An empty result means no split-brain was visible on the wire.
 */
export function findConflicts(byIp: Map<string, NeighborAnswer[]>, windowMs: number): AnswerConflict[] {
  const out: AnswerConflict[] = [];
  for (const [ip, list] of byIp) {
    let cur: AnswerConflict | undefined;
    for (let i = 1; i < list.length; i++) {
      const a = list[i - 1];
      const b = list[i];
      if (!a || !b || a.mac === b.mac || b.t - a.t > windowMs) continue;
      if (cur && a.t <= cur.to) {
        cur.to = b.t;
        for (const m of [a.mac, b.mac]) if (!cur.macs.includes(m)) cur.macs.push(m);
      } else {
        cur = { ip, from: a.t, to: b.t, macs: [a.mac, b.mac] };
        out.push(cur);
      }
    }
  }
  return out.sort((x, y) => x.from - y.from);
}

export class ArpCapture {
  constructor(
    readonly proc: ProcHandle,
    readonly file: string,
  ) {}

  /** All ARP/NDP packets captured so far (reads the pcap file as tcpdump writes it). */
  packets(): NeighborPacket[] {
    let buf: Buffer;
    try {
      buf = readFileSync(this.file);
    } catch {
      return [];
    }
    return parsePcap(buf)
      .map(decodeNeighbor)
      .filter((p): p is NeighborPacket => p !== undefined);
  }

  answers(): NeighborAnswer[] {
    return this.packets()
      .map(toAnswer)
      .filter((a): a is NeighborAnswer => a !== undefined);
  }

  /** Timeline of (time, MAC) answers per IP; by default only VIPs in `vips` if given, else every IP. */
  answersByVip(vips?: readonly string[]): Map<string, NeighborAnswer[]> {
    return answersByIp(this.answers(), vips ? (ip) => vips.includes(ip) : undefined);
  }

  conflicts(windowMs: number, vips?: readonly string[]): AnswerConflict[] {
    return findConflicts(this.answersByVip(vips), windowMs);
  }

  /** Stops tcpdump (it flushes the file on SIGTERM). */
  async stop(): Promise<void> {
    await this.proc.stop();
  }
}

export async function startSwitchCapture(lab: LabContext, name = "arp"): Promise<ArpCapture> {
  const file = join(lab.runDir, `${name}.pcap`);
  let listening = false;
  const proc = lab.spawn(
    "sw",
    // --immediate-mode: hand each packet over at once (else TPACKET_V3 batches up to 1 s and SIGTERM loses the
    // batch); -U: write each packet to the file at once; -Z root: keep write access to the run dir.
    ["tcpdump", "-i", "br0", "-n", "--immediate-mode", "-U", "-Z", "root", "-s", "256", "-w", file,
      "arp or (icmp6 and (ip6[40] == 135 or ip6[40] == 136))"],
    {
      name: `tcpdump-${name}`,
      onStderrLine: (l) => {
        if (l.includes("listening on")) listening = true;
      },
    },
  );
  await waitFor("tcpdump to start listening on br0", () => {
    if (!proc.running) throw new Error(`lab: tcpdump exited early (see ${lab.runDir}/${proc.name}.log)`);
    return listening ? true : undefined;
  });
  return new ArpCapture(proc, file);
}
