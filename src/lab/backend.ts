// Per-node HTTP backends (answering "nodeK\n" on nodeIP:8080) and the kube-proxy-like DNAT VIP:port -> nodeIP:8080.
import { labScript } from "./paths.js";
import { waitFor } from "./run.js";
import { nodeRole, roleIp, roleIp6 } from "./topology.js";
import type { LabContext, ProcHandle } from "./types.js";

export const BACKEND_PORT = 8080;
const NFT_TABLE = "vipmesh_lab";

export async function startNodeBackend(lab: LabContext, k: number): Promise<ProcHandle> {
  const role = nodeRole(k);
  const hosts = [roleIp(role), roleIp6(role)];
  let listening = 0;
  const proc = lab.spawn(
    role,
    [process.execPath, labScript("backend.mjs"), "--name", role, "--port", String(BACKEND_PORT), ...hosts.flatMap((h) => ["--host", h])],
    {
      name: `backend-${role}`,
      onLine: (l) => {
        if (l.startsWith('{"listening"')) listening++;
      },
    },
  );
  await waitFor(`backend in ${role} to listen`, () => {
    if (!proc.running) throw new Error(`lab: backend in ${role} exited early (see ${lab.runDir}/${proc.name}.log)`);
    return listening >= hosts.length ? true : undefined;
  });
  return proc;
}

/** The nft script that DNATs tcp VIP:port to the node's backend (IPv4 or IPv6 by the VIP's family). */
export function dnatRules(k: number, vip: string, port: number): string {
  const role = nodeRole(k);
  const v6 = vip.includes(":");
  const match = v6 ? `ip6 daddr ${vip}` : `ip daddr ${vip}`;
  const to = v6 ? `dnat ip6 to [${roleIp6(role)}]:${BACKEND_PORT}` : `dnat ip to ${roleIp(role)}:${BACKEND_PORT}`;
  return [
    `add table inet ${NFT_TABLE}`,
    `add chain inet ${NFT_TABLE} prerouting { type nat hook prerouting priority dstnat; policy accept; }`,
    `add rule inet ${NFT_TABLE} prerouting ${match} tcp dport ${port} ${to}`,
    "",
  ].join("\n");
}

/** Installs the DNAT in node k (idempotent per (k, vip, port) through `installed`). */
export async function exposeVipOnNode(
  lab: LabContext,
  installed: Set<string>,
  k: number,
  vip: string,
  port = 80,
): Promise<void> {
  const key = `${k}|${vip}|${port}`;
  if (installed.has(key)) return;
  await lab.exec(nodeRole(k), ["nft", "-f", "-"], { input: dnatRules(k, vip, port) });
  installed.add(key);
}
