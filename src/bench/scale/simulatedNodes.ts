import type { InterfaceFact, NodeHeartbeatRecorded } from "../../events/types.js";

// What a simulated node says on the log, built like a real speaker's events. Simulated nodes live in 198.19.0.0/16,
// a subnet that holds no VIP of the scale bench, so they are members (the work under test) that never qualify to
// answer for a VIP: only the real speakers in the lab own and fail over VIPs.

export type SimulatedNode = { name: string; incarnation: number; facts: InterfaceFact[] };

export function simulatedNode(prefix: string, index: number, incarnation: number): SimulatedNode {
  const hi = (index >> 8) & 0xff;
  const lo = index & 0xff;
  const hex = (n: number): string => n.toString(16).padStart(2, "0");
  const facts: InterfaceFact[] = [
    { name: "eth0", mac: `02:5e:00:00:${hex(hi)}:${hex(lo)}`, up: true, addresses: [`198.19.${hi}.${lo}/16`], answerable: true, routes: ["198.19.0.0/16", "0.0.0.0/0"] },
    { name: "lo", mac: "00:00:00:00:00:00", up: true, addresses: ["127.0.0.1/8"], answerable: false, routes: [] },
  ];
  return { name: `${prefix}${index}`, incarnation, facts };
}

export function simulatedHeartbeat(node: SimulatedNode, beat: number, version: string): NodeHeartbeatRecorded {
  return { type: "NodeHeartbeatRecorded", data: { node: node.name, incarnation: node.incarnation, beat, ready: true, version, interfaces: node.facts } };
}
