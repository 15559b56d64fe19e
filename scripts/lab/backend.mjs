#!/usr/bin/env node
// Lab backend: a tiny HTTP server answering "<name>\n" to every request.
// Usage: node backend.mjs --name node1 --port 8080 --host 198.18.0.11 [--host 2001:db8:0:1::11]
// Prints one JSON line {"listening":"<host>:<port>"} per bound address. Runs inside a lab namespace.
import { createServer } from "node:http";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    name: { type: "string" },
    port: { type: "string", default: "8080" },
    host: { type: "string", multiple: true },
  },
});
const name = values.name ?? "backend";
const port = Number(values.port);
const hosts = values.host ?? ["0.0.0.0"];
const body = `${name}\n`;

const servers = hosts.map((host) => {
  const server = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { "content-type": "text/plain", "content-length": Buffer.byteLength(body), "x-backend": name });
    res.end(body);
  });
  server.on("error", (err) => {
    process.stderr.write(`backend ${name}: ${host}:${port}: ${err.message}\n`);
    process.exit(1);
  });
  server.listen(port, host, () => process.stdout.write(`${JSON.stringify({ listening: `${host}:${port}` })}\n`));
  return server;
});

const stop = () => {
  for (const s of servers) s.close();
  process.exit(0);
};
process.on("SIGTERM", stop);
process.on("SIGINT", stop);
