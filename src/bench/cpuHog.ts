import { spawn, type ChildProcess } from "node:child_process";
import { availableParallelism } from "node:os";

/** One busy-looping process per hog, for the length of a benchmark, so the failure detector is measured under load. */
export function startCpuHogs(count: number): { stop: () => void } {
  const children: ChildProcess[] = Array.from({ length: count }, () => spawn(process.execPath, ["-e", "for (;;) {}"], { stdio: "ignore" }));
  return { stop: () => children.forEach((c) => void c.kill("SIGKILL")) };
}

/** The default overload: one hog per core the machine offers. */
export const defaultHogs = (): number => availableParallelism();
