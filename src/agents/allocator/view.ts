import { planIpam, type IpamOptions, type IpamPlan } from "../../projections/ipam/plan.js";
import { UsedIndex } from "../../projections/ipam/usedIndex.js";
import type { LogState } from "../../projections/logState.js";
import type { LogView } from "../host/logView.js";

/**
 * The allocator's reading of the process's view (the log host applies EVENTS to it). It plans only at the head: after
 * a batch that reached the stream's last sequence as of the follower's start or last reconnect (follow.ts), so every
 * allocation already on the log (and the latest configuration) is taken in, however much keeps arriving.
 */
export class AllocatorView {
  private readonly used = new UsedIndex();

  constructor(
    private readonly source: LogView,
    private readonly opts: IpamOptions,
  ) {}

  get log(): LogState {
    return this.source.log;
  }

  /** True while caught up to the follower's position; false while a backlog (at start or after a reconnect) is read. */
  get atHead(): boolean {
    return this.source.logAtHead;
  }

  /** Log messages the view skipped as invalid. */
  get invalid(): number {
    return this.source.invalid;
  }

  plan(): IpamPlan | null {
    return this.atHead ? planIpam(this.log, this.opts, this.used) : null;
  }
}
