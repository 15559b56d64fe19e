import { readFileSync } from "node:fs";
import { execFileSync } from "node:child_process";

// CPU and memory of a process from /proc: the scale benchmark samples the real speakers and nats-server.

const CLOCK_TICKS = Number(execFileSync("getconf", ["CLK_TCK"]).toString().trim()) || 100;

/** CPU seconds (user + system) the process has used so far; NaN once it has exited. */
export function cpuSeconds(pid: number): number {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, "utf8");
  } catch {
    return Number.NaN;
  }
  // Fields after the command name (which may hold spaces) start at ") "; utime and stime are fields 14 and 15.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
}

export function rssMiB(pid: number): number {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, "utf8");
  } catch {
    return Number.NaN;
  }
  const kb = Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1] ?? Number.NaN);
  return kb / 1024;
}

/** Mean CPU of each process over `ms`, in % of one core. */
export async function cpuPercentOver(pids: readonly number[], ms: number): Promise<number[]> {
  const before = pids.map(cpuSeconds);
  const started = performance.now();
  await new Promise((r) => setTimeout(r, ms));
  const elapsed = (performance.now() - started) / 1000;
  return pids.map((pid, i) => ((cpuSeconds(pid) - (before[i] ?? 0)) / elapsed) * 100);
}
