import { prefixFamily } from "../../protocols/bgp/prefix.js";
import type { BgpPlan, BgpPeerPlan } from "./bgpPlan.js";
import type { FrrConfig, FrrLine, FrrSection } from "./frrConfig.js";

// The vtysh commands that turn one rendered FRR configuration into another (pure). Nothing is reloaded: only the
// lines that differ are sent, so sessions stay up through any route, community or policy change (a full reload
// resets sessions: MetalLB's FRR mode, issues #1944 and #2049). The commands are a configuration file for
// `vtysh -f`: each section's context commands, then its lines; FRR takes a line it cannot place in the current
// context to the enclosing one, as it does reading frr.conf.
//
// Order: a BGP instance that must go first (its ASN changed), then everything added or changed in the new
// configuration's order (prefix-lists before the route-maps and networks that use them, a neighbor's remote-as before
// its other lines), then removals, innermost first. A line of a slot that changes value is sent as the new value
// alone; a neighbor's lines go with its `no neighbor ... remote-as`, a section's with its `no` of the section.

export const EMPTY_FRR_CONFIG: FrrConfig = { sections: [], problems: [] };

const sectionKey = (s: FrrSection): string => s.context.join("\n");
const slotOf = (l: FrrLine): string => l.slot ?? l.text;

export function frrCommands(old: FrrConfig, next: FrrConfig): string[] {
  const oldSections = new Map(old.sections.map((s) => [sectionKey(s), s]));
  const newSections = new Map(next.sections.map((s) => [sectionKey(s), s]));
  const replaced = replacedInstances(old, next);
  const commands: string[] = [];
  for (const s of replaced) commands.push(`no ${s.context[0]}`);
  for (const s of next.sections) {
    const had = oldSections.get(sectionKey(s));
    const before = new Map((had?.lines ?? []).map((l) => [slotOf(l), l.text]));
    const added = s.lines.filter((l) => before.get(slotOf(l)) !== l.text).map((l) => l.text);
    if (added.length > 0 || (had === undefined && s.context.length > 0 && !enclosesAnother(next, s))) commands.push(...s.context, ...added);
  }
  // Sections that go as a whole (a route-map entry, a BGP instance, a BFD profile): one `no`, none for their lines.
  const whole = (s: FrrSection): boolean => s.context.length === 1 || s.whole === true;
  const gone = new Set(replaced.map(sectionKey));
  for (const s of old.sections) if (whole(s) && !newSections.has(sectionKey(s))) gone.add(sectionKey(s));
  const insideGone = (s: FrrSection, depth = s.context.length): boolean => s.context.slice(0, depth).some((_, i) => gone.has(s.context.slice(0, i + 1).join("\n")));
  const removedSlots = new Set<string>();
  for (const s of old.sections) {
    const slots = new Set((newSections.get(sectionKey(s))?.lines ?? []).map(slotOf));
    for (const l of s.lines) if (!slots.has(slotOf(l))) removedSlots.add(`${s.context[0]}|${slotOf(l)}`);
  }
  for (const s of [...old.sections].reverse()) {
    if (insideGone(s)) {
      if (gone.has(sectionKey(s)) && !replaced.includes(s) && !insideGone(s, s.context.length - 1)) commands.push(...s.context.slice(0, -1), `no ${s.context.at(-1)}`);
      continue;
    }
    const slots = new Set((newSections.get(sectionKey(s))?.lines ?? []).map(slotOf));
    const removed = s.lines.filter((l) => !slots.has(slotOf(l)) && !(l.goesWith !== undefined && removedSlots.has(`${s.context[0]}|${l.goesWith}`)));
    if (removed.length > 0) commands.push(...s.context, ...removed.map((l) => l.undo ?? `no ${l.text}`));
  }
  return commands;
}

/** A section others are nested in (`bfd` around its profiles): entering those enters it too. */
function enclosesAnother(config: FrrConfig, outer: FrrSection): boolean {
  return config.sections.some((s) => s.context.length > outer.context.length && outer.context.every((c, i) => s.context[i] === c));
}

/** Old BGP instances whose place (VRF) a new instance with another ASN takes: they must be removed first. */
function replacedInstances(old: FrrConfig, next: FrrConfig): FrrSection[] {
  const wanted = new Map(next.sections.filter((s) => s.exclusive !== undefined && s.context.length === 1).map((s) => [s.exclusive, s.context[0]]));
  return old.sections.filter((s) => s.exclusive !== undefined && s.context.length === 1 && wanted.has(s.exclusive) && wanted.get(s.exclusive) !== s.context[0]);
}

/**
 * Peers whose outbound policy changed for prefixes that stay announced (a community changed, a prefix newly given
 * to or taken from one peer, a new next hop): FRR re-evaluates an outbound route-map only on `clear ... soft out`
 * (or after its route-map delay timer), while a new or removed `network` is sent at once.
 */
export function softOutPeers(old: BgpPlan, next: BgpPlan): BgpPeerPlan[] {
  const before = networks(old);
  const after = networks(next);
  const out: BgpPeerPlan[] = [];
  for (const [name, p] of next) {
    const was = old.get(name);
    if (was === undefined || was.peer.peerAddress !== p.peer.peerAddress || was.peer.vrf !== p.peer.vrf) continue;
    const a = sentKeys(was);
    const b = sentKeys(p);
    const changed = [...new Set([...a.keys(), ...b.keys()])].some((prefix) => a.get(prefix) !== b.get(prefix) && before.has(`${p.peer.vrf}|${prefix}`) && after.has(`${p.peer.vrf}|${prefix}`));
    if (changed) out.push(p);
  }
  return out;
}

/** What goes out to the peer per prefix: its attributes and the other family's next hop, held-back prefixes left out. */
function sentKeys(p: BgpPeerPlan): Map<string, string> {
  const o = p.otherFamily;
  const held = o !== undefined && "problem" in o ? o.family : undefined;
  const nextHop = o !== undefined && "address" in o ? o.address : "";
  const keys = new Map<string, string>();
  for (const [prefix, attrs] of p.routes) {
    const family = prefixFamily(prefix);
    if (family !== held) keys.set(prefix, JSON.stringify([attrs, o?.family === family ? nextHop : ""]));
  }
  return keys;
}

function networks(plan: BgpPlan): Set<string> {
  const out = new Set<string>();
  for (const p of plan.values()) for (const prefix of p.routes.keys()) out.add(`${p.peer.vrf}|${prefix}`);
  return out;
}
