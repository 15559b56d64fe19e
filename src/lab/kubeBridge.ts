// Makes the test API server (on the root namespace's loopback) reachable from the lab's namespaces, which have no
// route out: a listener on a lab address in one namespace pipes each connection to a Unix socket (path-named Unix
// sockets are visible across network namespaces), which a server here pipes to the API server's port.
import { connect, createServer, type Server, type Socket } from "node:net";
import { join } from "node:path";
import type { Lab } from "./lab.js";
import type { LabRole, ProcHandle } from "./types.js";

export type KubeBridge = { url: string; close: () => Promise<void> };

const LISTENER = `
const net = require("node:net");
const [host, port, sock] = process.argv.slice(1);
net.createServer((s) => { const c = net.connect(sock); s.pipe(c); c.pipe(s); s.on("error", () => c.destroy()); c.on("error", () => s.destroy()); })
  .listen(Number(port), host, () => process.stdout.write("listening\\n"));
`;

/** The kubeconfig lab processes use: the admin's, pointing at the bridge's lab address. */
export function labKubeconfig(adminKubeconfigText: string, labHost: string, port = BRIDGE_PORT): string {
  return adminKubeconfigText.replace(/server: .*/, `server: https://${labHost}:${port}`);
}

export const BRIDGE_PORT = 6443;

export async function bridgeKubeApi(lab: Lab, role: LabRole, labHost: string, apiPort: number): Promise<KubeBridge> {
  const sock = join(lab.runDir, "kube-api.sock");
  const sockets = new Set<Socket>();
  const server: Server = createServer((s) => {
    const c = connect(apiPort, "127.0.0.1");
    sockets.add(s).add(c);
    s.pipe(c);
    c.pipe(s);
    s.on("error", () => c.destroy());
    c.on("error", () => s.destroy());
    s.on("close", () => sockets.delete(s));
    c.on("close", () => sockets.delete(c));
  });
  await new Promise<void>((resolve, reject) => server.once("error", reject).listen(sock, () => resolve()));
  const port = BRIDGE_PORT;
  let ready: () => void = () => undefined;
  const listening = new Promise<void>((r) => (ready = r));
  const proc: ProcHandle = lab.spawn(role, [process.execPath, "-e", LISTENER, labHost, String(port), sock], {
    name: `kube-bridge-${Date.now()}`,
    onLine: (line) => line === "listening" && ready(),
  });
  const close = async (): Promise<void> => {
    proc.kill("SIGTERM");
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => server.close(() => r()));
  };
  let timer: NodeJS.Timeout | undefined;
  try {
    const timeout = new Promise<"timeout">((r) => (timer = setTimeout(() => r("timeout"), 10_000)));
    const outcome = await Promise.race([listening.then(() => "listening" as const), proc.exited, timeout]);
    if (outcome === "timeout") throw new Error("kube bridge did not start");
    if (outcome !== "listening") throw new Error(`kube bridge exited (code ${outcome.code}, signal ${outcome.signal}) before listening on ${labHost}:${port}`);
  } catch (err) {
    await close(); // the Unix socket server would otherwise keep the test process alive
    throw err;
  } finally {
    clearTimeout(timer);
  }
  return { url: `https://${labHost}:${port}`, close };
}
