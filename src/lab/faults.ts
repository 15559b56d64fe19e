// Faults injected inside a node's namespace with nftables: the lab's own namespaces only, removed on heal.
import { roleIp } from "./topology.js";
import type { LabContext, LabRole } from "./types.js";

const TABLE = "vipmesh_fault";

/** Cuts a node off from NATS in both directions (packets dropped, as a broken path would), leaving its LAN intact. */
export async function partitionFromNats(lab: LabContext, role: LabRole): Promise<void> {
  const nats = roleIp("nats");
  const rules = `table inet ${TABLE} {
  chain out { type filter hook output priority 0; ip daddr ${nats} drop; }
  chain in { type filter hook input priority 0; ip saddr ${nats} drop; }
}
`;
  await lab.exec(role, ["nft", "-f", "-"], { input: rules });
}

/**
 * A one-way fault: the node hears nothing from NATS while what it sends still leaves (a broken return path). It
 * fences at once (the log is silent to it while its peers still hear it); its client gives the connection up after a
 * few missed pings, and what it published meanwhile reaches the log only once the fault is healed.
 */
export async function deafenToNats(lab: LabContext, role: LabRole): Promise<void> {
  const rules = `table inet ${TABLE} {
  chain in { type filter hook input priority 0; ip saddr ${roleIp("nats")} drop; }
}
`;
  await lab.exec(role, ["nft", "-f", "-"], { input: rules });
}

/** Removes the rules of partitionFromNats or deafenToNats. */
export async function healPartition(lab: LabContext, role: LabRole): Promise<void> {
  await lab.exec(role, ["nft", "delete", "table", "inet", TABLE], { allowFail: true });
}
