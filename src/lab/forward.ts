// Loopback-to-lab TCP forwarder: lets a process in the root namespace (a test, the CLI demo) reach a lab service
// such as NATS without any lab interface in the root namespace. It listens on 127.0.0.1 only; each accepted
// connection is piped through a helper started inside the lab namespace (`ip netns exec <ns> node tcp-pipe.mjs`).
import { spawn } from "node:child_process";
import type { ChildProcess } from "node:child_process";
import { createServer } from "node:net";
import type { Socket } from "node:net";
import { labScript } from "./paths.js";
import type { LabLogger } from "./types.js";

export interface HostForward {
  host: "127.0.0.1";
  port: number;
  close(): Promise<void>;
  closeSync(): void;
}

export async function forwardToLab(nsName: string, targetHost: string, targetPort: number, log: LabLogger): Promise<HostForward> {
  const children = new Set<ChildProcess>();
  const sockets = new Set<Socket>();
  const server = createServer((sock) => {
    sockets.add(sock);
    const child = spawn("ip", ["netns", "exec", nsName, process.execPath, labScript("tcp-pipe.mjs"), targetHost, String(targetPort)], {
      stdio: ["pipe", "pipe", "ignore"],
    });
    children.add(child);
    sock.pipe(child.stdin).on("error", () => undefined);
    child.stdout.pipe(sock).on("error", () => undefined);
    sock.on("error", () => child.kill("SIGKILL"));
    sock.on("close", () => {
      sockets.delete(sock);
      child.kill("SIGTERM");
    });
    child.on("exit", () => {
      children.delete(child);
      sock.destroy();
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const addr = server.address();
  const port = typeof addr === "object" && addr ? addr.port : 0;
  log.debug({ port, target: `${targetHost}:${targetPort}`, ns: nsName }, "lab: loopback forwarder");
  const closeSync = (): void => {
    server.close();
    for (const s of sockets) s.destroy();
    for (const c of children) c.kill("SIGKILL");
  };
  return {
    host: "127.0.0.1",
    port,
    closeSync,
    close: async () => {
      const exits = [...children].map((c) => new Promise((r) => c.once("exit", r)));
      closeSync();
      await Promise.race([Promise.all(exits), new Promise((r) => setTimeout(r, 2000))]);
    },
  };
}
