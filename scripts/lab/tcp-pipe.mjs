#!/usr/bin/env node
// Lab TCP helper, run inside a lab namespace.
//   node tcp-pipe.mjs --check HOST PORT [TIMEOUT_MS]  exits 0 when a TCP connect succeeds, 1 otherwise.
//   node tcp-pipe.mjs HOST PORT                       pipes stdin/stdout to a TCP connection (for loopback forwarders).
import { connect } from "node:net";

const args = process.argv.slice(2);
const check = args[0] === "--check";
if (check) args.shift();
const [host, portText, timeoutText] = args;
if (!host || !portText) {
  process.stderr.write("usage: tcp-pipe.mjs [--check] HOST PORT [TIMEOUT_MS]\n");
  process.exit(2);
}
const sock = connect({ host, port: Number(portText) });
if (check) {
  const timer = setTimeout(() => {
    process.stdout.write("timeout\n");
    process.exit(1);
  }, Number(timeoutText ?? 2000));
  sock.on("connect", () => {
    clearTimeout(timer);
    process.stdout.write("ok\n");
    sock.destroy();
    process.exit(0);
  });
  sock.on("error", (e) => {
    process.stdout.write(`${e.code ?? e.message}\n`);
    process.exit(1);
  });
} else {
  sock.on("error", (e) => {
    process.stderr.write(`tcp-pipe: ${e.code ?? e.message}\n`);
    process.exit(1);
  });
  process.stdin.pipe(sock);
  sock.pipe(process.stdout);
  sock.on("close", () => process.exit(0));
  process.stdin.on("end", () => sock.end());
}
