// The L2 announcer: answers for the VIPs of the answer set on their interfaces, IPv4 through ARP and IPv6 through
// NDP, announces each on takeover (a burst) and then periodically (refresh), and counts conflicts. When to
// announce is the pure schedule in protocols/l2; this file owns the one timer and the links that do the I/O.
import { performance } from "node:perf_hooks";
import type { Logger } from "pino";
import { canonicalIp, parseIp } from "../../net/ip.js";
import type { Family } from "../../net/ip.js";
import type { AnswerSet } from "../../projections/answering.js";
import {
  DEFAULT_REFRESH_MS,
  nextDueAt,
  startAnnouncingAll,
  stopAnnouncingAll,
  takeDue,
  validateAnnounceSettings,
} from "../../protocols/l2/announceSchedule.js";
import type { AnnounceSchedule, AnnounceSettings } from "../../protocols/l2/announceSchedule.js";
import type { L2Announcer, L2AnnouncerStats, L2LinkStats, VipConflictStats } from "./announcer.js";
import { arpLink } from "./arpLink.js";
import { ndpLink } from "./ndpLink.js";

/**
 * Gratuitous ARP / unsolicited NA offsets after takeover. The first ones move switches and neighbours at once; the
 * ones after a second beat Linux's neighbour `locktime` (1 s), which ignores an update to an entry changed just before.
 */
export const BURST_SCHEDULE_MS = [0, 50, 250, 1_100, 2_100] as const;

/** What a link reports up: another MAC claiming a VIP, or a duplicate address detection probe for one. */
export interface LinkEvents {
  conflict(c: { readonly vip: string; readonly claimantMac: string; readonly detail: string }): void;
  dadProbe(p: { readonly vip: string; readonly fromMac: string }): void;
}

/** One protocol answering for VIPs (canonical text) of one family on one interface. */
export interface VipLink {
  /** Start answering for `vip`. */
  add(vip: string): void;
  remove(vip: string): void;
  /** One announcement round for `vip` (gratuitous ARP request and reply, or an unsolicited NA). Throws on send error. */
  announce(vip: string): void;
  stats(): L2LinkStats;
  close(): void;
}

/** Opens a link on an interface; throws when it cannot (no such interface, no CAP_NET_RAW, not Ethernet). */
export type LinkOpener = (ifname: string, events: LinkEvents) => VipLink;

export interface L2AnnouncerOptions {
  readonly log: Logger;
  /** Link openers per address family; a family without one is not answered. */
  readonly links: Partial<Record<Family, LinkOpener>>;
  /** Default BURST_SCHEDULE_MS. */
  readonly burstMs?: readonly number[];
  /** Refresh period after the burst; default DEFAULT_REFRESH_MS (30 s); 0 turns it off. */
  readonly refreshMs?: number;
  /** Monotonic clock in ms; default performance.now. */
  readonly now?: () => number;
}

type Answered = { readonly ifname: string; readonly link: VipLink; readonly canonical: string };

/** Announcer over injected links (see l2Links.ts for ARP and NDP, and createL2Announcer for the default wiring). */
export function createLinkAnnouncer(opts: L2AnnouncerOptions): L2Announcer {
  const { log } = opts;
  const settings: AnnounceSettings = validateAnnounceSettings({
    burstMs: opts.burstMs ?? BURST_SCHEDULE_MS,
    refreshMs: opts.refreshMs ?? DEFAULT_REFRESH_MS,
  });
  const now = opts.now ?? (() => performance.now());
  const links = new Map<string, VipLink>();
  let current = new Map<string, Answered>();
  /** The answer set of the last update, and whether every VIP of it got its link (else the next update retries). */
  let lastAnswers: AnswerSet | null = null;
  let complete = true;
  let schedule: AnnounceSchedule = new Map();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  const counts = { announcements: 0, announceErrors: 0, conflicts: 0, dadProbes: 0 };
  const conflicts = new Map<string, VipConflictStats>();

  const linkFor = (ifname: string, family: Family): VipLink | undefined => {
    const key = `${ifname}/${family}`;
    const known = links.get(key);
    if (known) return known;
    const open = opts.links[family];
    if (!open) return undefined;
    try {
      const link = open(ifname, {
        conflict: ({ vip, claimantMac, detail }) => {
          counts.conflicts++;
          const count = (conflicts.get(vip)?.count ?? 0) + 1;
          conflicts.set(vip, { count, ifname, lastClaimantMac: claimantMac, lastAt: Date.now() });
          log.warn({ vip, claimantMac, ifname, detail, count }, "conflicting answer for a VIP we own");
        },
        dadProbe: () => void counts.dadProbes++,
      });
      links.set(key, link);
      return link;
    } catch (err) {
      log.error({ ifname, family, err: (err as Error).message }, "cannot answer on this interface; VIPs there are not answered");
      return undefined;
    }
  };

  const announceDue = (): void => {
    timer = undefined;
    if (closed) return;
    const r = takeDue(schedule, now(), settings);
    schedule = r.schedule;
    for (const vip of r.due) {
      const answered = current.get(vip);
      if (!answered) continue;
      try {
        answered.link.announce(answered.canonical);
        counts.announcements++;
      } catch (err) {
        counts.announceErrors++;
        log.warn({ vip, ifname: answered.ifname, err: (err as Error).message }, "announcement not sent");
      }
    }
    arm();
  };

  const arm = (): void => {
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    const at = nextDueAt(schedule);
    if (closed || at === undefined) return;
    timer = setTimeout(announceDue, Math.max(0, at - now()));
    timer.unref(); // the announcer never keeps a process alive on its own
  };

  const familyOf = (vip: string): Family | undefined => {
    try {
      return parseIp(vip).family;
    } catch {
      log.error({ vip }, "not an IP address; not answered");
      return undefined;
    }
  };

  return {
    update(answers: AnswerSet) {
      if (closed) return;
      // The speaker hands over the same answer set on every batch while nothing changed (view.ts keeps it).
      if (answers === lastAnswers && complete) return;
      const stopped: string[] = [];
      for (const [vip, was] of current) {
        if (answers.get(vip) === was.ifname) continue;
        was.link.remove(was.canonical);
        stopped.push(vip);
        log.info({ vip, ifname: was.ifname }, "stopped answering");
      }
      schedule = stopAnnouncingAll(schedule, stopped);
      const next = new Map<string, Answered>();
      const started: string[] = [];
      complete = true;
      for (const [vip, ifname] of answers) {
        const kept = current.get(vip);
        if (kept?.ifname === ifname) {
          next.set(vip, kept);
          continue;
        }
        const family = familyOf(vip);
        const link = family === undefined ? undefined : linkFor(ifname, family);
        if (!link) {
          complete = false; // not recorded: the next update tries again
          continue;
        }
        const canonical = canonicalIp(vip);
        link.add(canonical);
        next.set(vip, { ifname, link, canonical });
        started.push(vip);
        log.info({ vip, ifname }, "answering and announcing");
      }
      schedule = startAnnouncingAll(schedule, started, now(), settings);
      current = next;
      lastAnswers = answers;
      // A takeover's first announcement goes out within this update, not a timer turn later: neighbours learn the
      // new owner as soon as it may answer (create-to-reachable and failover wait for it).
      if (started.length > 0) {
        if (timer !== undefined) clearTimeout(timer);
        announceDue();
      } else arm();
    },
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const link of links.values()) link.close();
      links.clear();
      current = new Map();
      schedule = new Map();
    },
    stats(): L2AnnouncerStats {
      const answering = { ipv4: 0, ipv6: 0 };
      for (const a of current.values()) answering[a.canonical.includes(":") ? "ipv6" : "ipv4"]++;
      return {
        answering,
        announcements: counts.announcements,
        announceErrors: counts.announceErrors,
        conflicts: { total: counts.conflicts, byVip: Object.fromEntries(conflicts) },
        dadProbes: counts.dadProbes,
        links: Object.fromEntries([...links.values()].map((l) => {
          const s = l.stats();
          return [`${s.ifname}/${s.protocol}`, s];
        })),
      };
    },
  };
}

export interface L2AnnouncerSettings {
  /** Default BURST_SCHEDULE_MS. */
  readonly burstMs?: readonly number[];
  /** Default DEFAULT_REFRESH_MS (30 s); 0 turns the refresh off. */
  readonly refreshMs?: number;
}

/** The speaker's announcer: IPv4 VIPs through ARP, IPv6 VIPs through NDP, on real interfaces. */
export function createL2Announcer(log: Logger, settings: L2AnnouncerSettings = {}): L2Announcer {
  return createLinkAnnouncer({ log, links: { 4: arpLink(log), 6: ndpLink(log) }, ...settings });
}
