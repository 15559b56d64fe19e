#!/usr/bin/env node
// Lab prober: one fresh HTTP request (new TCP connection) every --interval ms, each with a --timeout ms deadline.
// Emits one JSON line per result: {"t":<epoch ms float, request start>,"ok":bool,"node":string|null,"ms":float,
// "err":string|null,"status":number|null}. Bounded: stops by itself after --max-count requests or --max-ms.
// Usage: node prober.mjs --url http://198.18.0.200/ --interval 50 --timeout 500 [--max-count N] [--max-ms MS]
import { request } from "node:http";
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";

const { values } = parseArgs({
  options: {
    url: { type: "string" },
    interval: { type: "string", default: "100" },
    timeout: { type: "string", default: "1000" },
    "max-count": { type: "string", default: "100000" },
    "max-ms": { type: "string", default: "900000" },
  },
});
if (!values.url) {
  process.stderr.write("prober: --url is required\n");
  process.exit(2);
}
const url = new URL(values.url);
const intervalMs = Number(values.interval);
const timeoutMs = Number(values.timeout);
const maxCount = Number(values["max-count"]);
const maxMs = Number(values["max-ms"]);
const now = () => performance.timeOrigin + performance.now();
let inflight = 0;
let stopping = false;

function probe() {
  const t = now();
  inflight++;
  let done = false;
  const finish = (ok, node, err, status) => {
    if (done) return;
    done = true;
    inflight--;
    clearTimeout(timer);
    process.stdout.write(`${JSON.stringify({ t, ok, node, ms: now() - t, err, status })}\n`);
    if (stopping && inflight === 0) process.exit(0);
  };
  const req = request(url, { method: "GET", agent: false, headers: { connection: "close" } }, (res) => {
    let body = "";
    res.setEncoding("utf8");
    res.on("data", (d) => (body += d));
    res.on("end", () => {
      const ok = res.statusCode === 200;
      finish(ok, ok ? body.trim() : null, ok ? null : `status ${res.statusCode}`, res.statusCode ?? null);
    });
    res.on("error", (e) => finish(false, null, e.code ?? e.message, res.statusCode ?? null));
  });
  const timer = setTimeout(() => {
    finish(false, null, "timeout", null);
    req.destroy();
  }, timeoutMs);
  req.on("error", (e) => finish(false, null, e.code ?? e.message, null));
  req.end();
}

const start = now();
let sent = 0;
function tick() {
  if (stopping) return;
  if (sent >= maxCount || now() - start >= maxMs) return stop();
  sent++;
  probe();
  // Schedule against the start time so the rate does not drift.
  setTimeout(tick, Math.max(0, start + sent * intervalMs - now()));
}
function stop() {
  stopping = true;
  if (inflight === 0) process.exit(0);
  setTimeout(() => process.exit(0), timeoutMs + 100).unref();
}
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
tick();
