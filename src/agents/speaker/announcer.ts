import type { AnswerSet } from "../../projections/answering.js";

/** The L2 effect port: the speaker says which VIPs to answer on which interface; the adapter does the rest. */
export interface L2Announcer {
  /** Replace the answer set; VIPs new to it get a gratuitous burst. */
  update(answers: AnswerSet): void;
  close(): Promise<void>;
  /** Counters to publish (conflicts, replies, malformed frames); optional so test doubles need not keep any. */
  stats?(): L2AnnouncerStats;
}

/** One protocol on one interface: ARP for IPv4 VIPs, NDP for IPv6 ones. */
export interface L2LinkStats {
  readonly protocol: "arp" | "ndp";
  readonly ifname: string;
  /** VIPs answered here now. */
  readonly answering: number;
  /** Answers sent (ARP replies, solicited Neighbor Advertisements). */
  readonly replies: number;
  readonly conflicts: number;
  /** Duplicate address detection probes for our VIPs (NDP), never answered. */
  readonly dadProbes: number;
  readonly received: number;
  /** Dropped frames by DecodeError code. */
  readonly malformed: Readonly<Record<string, number>>;
  readonly sent: number;
  readonly sendErrors: number;
  readonly receiveErrors: number;
  readonly kernelDrops: number;
  /** Solicited-node multicast groups joined (NDP), and failed joins or leaves. */
  readonly groups?: number;
  readonly groupErrors?: number;
}

export interface VipConflictStats {
  readonly count: number;
  readonly ifname: string;
  readonly lastClaimantMac: string;
  /** Wall-clock time (ms since the epoch) of the last conflicting frame. */
  readonly lastAt: number;
}

export interface L2AnnouncerStats {
  readonly answering: { readonly ipv4: number; readonly ipv6: number };
  /** Announcement rounds sent (burst and refresh), and rounds that failed to send. */
  readonly announcements: number;
  readonly announceErrors: number;
  /** Another MAC answering or announcing a VIP this node owns. */
  readonly conflicts: { readonly total: number; readonly byVip: Readonly<Record<string, VipConflictStats>> };
  readonly dadProbes: number;
  /** Keyed "<ifname>/<protocol>". */
  readonly links: Readonly<Record<string, L2LinkStats>>;
}
