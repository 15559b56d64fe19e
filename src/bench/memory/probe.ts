// Preloaded into a process under measurement (NODE_OPTIONS=--import=<this file>); on SIGUSR2 it writes the process's
// memory use and the modules it has loaded to $VIPMESH_MEMORY_PROBE_DIR/<pid>.json. ES modules are seen only
// with VIPMESH_MEMORY_PROBE_HOOKS=1, through a loader hook that runs on a thread of its own (which costs memory
// itself, so measure RSS without it); CommonJS modules are always listed, from require.cache.
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire, register } from "node:module";
import { join } from "node:path";
import { getHeapSpaceStatistics } from "node:v8";
import { MessageChannel } from "node:worker_threads";

const dir = process.env["VIPMESH_MEMORY_PROBE_DIR"] ?? "/tmp";
const esm = new Set<string>();

if (process.env["VIPMESH_MEMORY_PROBE_HOOKS"] === "1") {
  const { port1, port2 } = new MessageChannel();
  port1.on("message", (url: string) => esm.add(url));
  port1.unref();
  register(new URL("./probeHooks.js", import.meta.url), { data: { port: port2 }, transferList: [port2] });
}

process.on("SIGUSR2", () => {
  const m = process.memoryUsage();
  const cjs = Object.keys(createRequire(import.meta.url).cache);
  const modules = [...new Set([...esm, ...cjs.map((p) => `file://${p}`)])].sort();
  // Where the resident memory is: anonymous (heap, malloc) or file pages (the node binary, shared libraries); and
  // the V8 heap by space (code vs objects).
  const status = readFileSync("/proc/self/status", "utf8");
  const kb = (field: string): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1] ?? Number.NaN) * 1024;
  const spaces = Object.fromEntries(getHeapSpaceStatistics().map((s) => [s.space_name, { used: s.space_used_size, size: s.space_size }]));
  const report = {
    pid: process.pid, rss: m.rss, heapUsed: m.heapUsed, heapTotal: m.heapTotal, external: m.external, arrayBuffers: m.arrayBuffers,
    rssAnon: kb("RssAnon"), rssFile: kb("RssFile"), spaces, esmSeen: esm.size > 0, modules,
  };
  writeFileSync(join(dir, `${process.pid}.json`), JSON.stringify(report));
});
