import { z } from "zod";
import { BFD_STATUS_WORDS, BGP_SESSION_STATES, type BgpSessionReport, type BgpSessionsChanged } from "./types.js";

// Wire schema of a speaker's BGP session report on vipmesh.ev.announce.<node>. Bounded so one report stays far below
// MAX_EVENT_BYTES: 128 sessions of short names and a few fields are about 30 KiB.

export const MAX_REPORTED_SESSIONS = 128;
const NAME_MAX = 253;

const bgpSessionReportV1 = z
  .object({
    peer: z.string().min(1).max(NAME_MAX),
    address: z.string().min(2).max(45),
    peerASN: z.number().int().min(0).max(0xffffffff).nullable(),
    state: z.enum(BGP_SESSION_STATES),
    since: z.number().nonnegative(),
    prefixesSent: z.number().int().nonnegative(),
    bfd: z.object({ profile: z.string().min(1).max(NAME_MAX).nullable(), status: z.enum(BFD_STATUS_WORDS), echo: z.string().min(1).max(64).optional() }).strict().optional(),
  })
  .strict();

export const bgpSessionsChangedV1 = z
  .object({
    node: z.string().min(1).max(NAME_MAX),
    incarnation: z.number().int().nonnegative(),
    backend: z.enum(["native", "frr"]),
    sessions: z.array(bgpSessionReportV1).max(MAX_REPORTED_SESSIONS),
  })
  .strict();

/** v1 -> the domain shape (optional fields left out rather than undefined). */
export function parseBgpSessionsChangedV1(data: unknown): BgpSessionsChanged["data"] {
  const v1 = bgpSessionsChangedV1.parse(data);
  const sessions = v1.sessions.map(({ bfd, ...s }): BgpSessionReport => {
    if (bfd === undefined) return s;
    const { echo, ...rest } = bfd;
    return { ...s, bfd: echo === undefined ? rest : { ...rest, echo } };
  });
  return { ...v1, sessions };
}
