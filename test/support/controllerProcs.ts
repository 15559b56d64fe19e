import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { vipmeshCliPath } from "../../src/lab/paths.js";
import type { AllocatorProc } from "./allocatorProcs.js";

// `vipmesh controller` replicas as child processes of the compiled CLI, with their JSON log lines.

export function startController(nats: string, kubeconfig: string, id: string): AllocatorProc {
  const cli = vipmeshCliPath();
  if (!existsSync(cli)) throw new Error(`${cli} not found: run npm run build first`);
  const child = spawn(process.execPath, [cli, "controller", "--nats", nats, "--kubeconfig", kubeconfig, "--id", id], { stdio: ["ignore", "pipe", "pipe"] });
  const lines: Record<string, unknown>[] = [];
  let buffer = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    buffer += chunk;
    let i: number;
    while ((i = buffer.indexOf("\n")) >= 0) {
      const line = buffer.slice(0, i);
      buffer = buffer.slice(i + 1);
      try {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      } catch {
        lines.push({ msg: line });
      }
    }
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => lines.push({ msg: "stderr", text: chunk }));
  const exited = new Promise<number | null>((resolve) => child.once("exit", (code) => resolve(code)));
  return { id, child, lines, exited };
}
