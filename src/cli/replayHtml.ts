import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { LogSource } from "../agents/replay/logSource.js";
import { decodeHeartbeatEntries, decodeLogEntries, type Decoded } from "../events/entries.js";
import { STREAMS, type LogEvent, type NodeHeartbeatRecorded } from "../events/types.js";
import type { MembershipSettings } from "../projections/settings.js";
import { buildTimelineView, onlyVip, type TimelineView } from "../projections/timelineView.js";
import { renderTimelinePage } from "../report/timelinePage.js";

export type HtmlReplayOptions = {
  /** Where the page is written (parent folders are created). */
  file: string;
  /** The cluster's failure-detector settings, to replay membership as the speakers saw it. */
  settings: MembershipSettings;
  /** Only this VIP's lane and failovers. */
  vip?: string | null;
};

/** Reads both streams (heartbeats as far back as HEARTBEATS still keeps them) and writes the HTML timeline. */
export async function writeTimelineHtml(source: LogSource, opts: HtmlReplayOptions): Promise<{ path: string; view: TimelineView }> {
  const events: Decoded<LogEvent>[] = [];
  const heartbeats: Decoded<NodeHeartbeatRecorded>[] = [];
  await source.read(STREAMS.events, (batch) => events.push(...decodeLogEntries(batch, () => undefined)));
  await source.read(STREAMS.heartbeats, (batch) => heartbeats.push(...decodeHeartbeatEntries(batch, () => undefined)));
  const all = buildTimelineView({ events, heartbeats, settings: opts.settings });
  const view = opts.vip ? onlyVip(all, opts.vip) : all;
  const path = resolve(opts.file);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, renderTimelinePage(view));
  return { path, view };
}
