import type { InterfaceFact, NodeFactsChanged, NodeHeartbeatRecorded } from "../../events/types.js";

// What a simulated node says on the log, built like a real speaker's events. Simulated nodes have only an IPv6
// address in 2001:db8:5c::/64, which holds no VIP of the scale bench: they are members (the work under test) that
// never qualify to answer for a VIP, and never chosen as fencing peers (speakers probe IPv4 addresses), since they
// do not answer probes. Only the real speakers in the lab own and fail over VIPs.

export type SimulatedNode = { name: string; incarnation: number; facts: InterfaceFact[] };

export function simulatedNode(prefix: string, index: number, incarnation: number): SimulatedNode {
  const hi = (index >> 8) & 0xff;
  const lo = index & 0xff;
  const hex = (n: number): string => n.toString(16).padStart(2, "0");
  const facts: InterfaceFact[] = [
    { name: "eth0", mac: `02:5e:00:00:${hex(hi)}:${hex(lo)}`, up: true, addresses: [`2001:db8:5c::${hi.toString(16)}:${lo.toString(16)}/64`], answerable: true, routes: ["2001:db8:5c::/64"] },
    { name: "lo", mac: "00:00:00:00:00:00", up: true, addresses: ["::1/128"], answerable: false, routes: [] },
  ];
  return { name: `${prefix}${index}`, incarnation, facts };
}

/** A beat as a speaker sends it: only what changes every beat. */
export function simulatedHeartbeat(node: SimulatedNode, beat: number, version: string): NodeHeartbeatRecorded {
  return { type: "NodeHeartbeatRecorded", data: { node: node.name, incarnation: node.incarnation, beat, ready: true, version, health: 0 } };
}

/** What a speaker publishes on EVENTS when it joins (and when its interfaces change). */
export function simulatedFacts(node: SimulatedNode, version: string): NodeFactsChanged {
  return { type: "NodeFactsChanged", data: { node: node.name, incarnation: node.incarnation, version, interfaces: node.facts } };
}
