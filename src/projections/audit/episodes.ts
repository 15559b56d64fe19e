import type { EventMeta, FenceEntered, FenceLeft, VipConflictObserved } from "../../events/types.js";
import { listing, refOf, type EventRef, type Finding } from "./findings.js";
import type { FenceSpan } from "./membershipEvidence.js";

// Conflicts (another MAC answering for a VIP) and fencing episodes, listed with their duration.

type Conflict = { vip: string; node: string; mac: string; first: number; last: number; frames: number; events: EventRef[] };

export class Episodes {
  private readonly conflicts = new Map<string, Conflict>();
  private readonly fences: FenceSpan[] = [];
  private readonly open = new Map<string, FenceSpan>();

  conflict(event: VipConflictObserved, meta: EventMeta): void {
    const { vip, node, otherMac, count } = event.data;
    const key = `${vip} ${node} ${otherMac}`;
    const known = this.conflicts.get(key);
    if (known) {
      known.last = meta.time;
      known.frames = Math.max(known.frames, count);
      known.events.push(refOf(meta));
    } else {
      this.conflicts.set(key, { vip, node, mac: otherMac, first: meta.time, last: meta.time, frames: count, events: [refOf(meta)] });
    }
  }

  fenceEntered(event: FenceEntered, meta: EventMeta): void {
    const { node, incarnation, reason, at } = event.data;
    const span = { node, incarnation, reason, enteredAt: at, leftAt: null, events: [refOf(meta)] };
    this.open.set(`${node} ${incarnation}`, span);
    this.fences.push(span);
  }

  /** The whole episode: it completes the FenceEntered of the same start, or stands alone when that was never published. */
  fenceLeft(event: FenceLeft, meta: EventMeta): void {
    const { node, incarnation, reason, enteredAt, leftAt } = event.data;
    const key = `${node} ${incarnation}`;
    const open = this.open.get(key);
    if (open && open.enteredAt === enteredAt) {
      open.leftAt = leftAt;
      open.events.push(refOf(meta));
      this.open.delete(key);
      return;
    }
    this.fences.push({ node, incarnation, reason, enteredAt, leftAt, events: [refOf(meta)] });
  }

  get fenceSpans(): readonly FenceSpan[] {
    return this.fences;
  }

  findings(): Finding[] {
    const conflicts = [...this.conflicts.values()].map((c) =>
      listing("conflict", c.vip, `${c.node} saw ${c.mac} answer for ${c.vip}: ${c.events.length} report(s), ${c.frames} frame(s), reported over ${Math.round(c.last - c.first)} ms`, c.events, c.last - c.first),
    );
    const fences = this.fences.map((f) =>
      f.leftAt === null
        ? listing("fencing", f.node, `${f.node} (incarnation ${f.incarnation}) fenced itself (${f.reason}); the log holds no end`, f.events, undefined, f.enteredAt)
        : listing("fencing", f.node, `${f.node} (incarnation ${f.incarnation}) was fenced for ${Math.round(f.leftAt - f.enteredAt)} ms (${f.reason})`, f.events, f.leftAt - f.enteredAt, f.enteredAt),
    );
    return [...conflicts, ...fences];
  }
}
