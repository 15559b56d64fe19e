import { spawn, type ChildProcess } from "node:child_process";

/** Keeps one core busy for the length of a benchmark, so the failure detector is measured under load. */
export function startCpuHog(): { stop: () => void } {
  const child: ChildProcess = spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" });
  return { stop: () => void child.kill("SIGKILL") };
}
