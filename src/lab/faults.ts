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

export async function healPartition(lab: LabContext, role: LabRole): Promise<void> {
  await lab.exec(role, ["nft", "delete", "table", "inet", TABLE], { allowFail: true });
}
