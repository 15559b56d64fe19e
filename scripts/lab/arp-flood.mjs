#!/usr/bin/env node
// ARP request flood for the arp-flood benchmark, run inside the lab's client namespace. Sends --rate unicast ARP
// requests per second for --vip to --dst (the owner's MAC) for --seconds, each from a distinct sender address in
// 198.19.0.0/16 (inside the lab's range) so that its reply can be matched; prints one JSON summary line.
// Bounded: stops by itself after --seconds. Usage: node arp-flood.mjs --vip IP --dst MAC --rate N --seconds S
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { openPacketSocket } from "../../dist/adapters/packet/afpacket.js";
import { decode, encode } from "../../dist/protocols/arp/codec.js";

const { values } = parseArgs({
  options: { vip: { type: "string" }, dst: { type: "string" }, rate: { type: "string", default: "10000" }, seconds: { type: "string", default: "5" }, iface: { type: "string", default: "eth0" } },
});
const rate = Number(values.rate);
const seconds = Math.min(Number(values.seconds), 60);
const socket = openPacketSocket({ ifname: values.iface, ethertype: 0x0806, arpFilter: true });
const sentAt = new Float64Array(65536).fill(-1);
const latencies = [];
let sent = 0;
let received = 0;
let unmatched = 0;

socket.start((frame) => {
  const now = performance.now();
  let arp;
  try {
    arp = decode(frame).value;
  } catch {
    return;
  }
  if (arp.op !== "reply" || arp.senderIp !== values.vip) return;
  const [, , c, d] = arp.targetIp.split(".").map(Number);
  const id = (c << 8) | d;
  if (sentAt[id] < 0) return void unmatched++;
  latencies.push(now - sentAt[id]);
  sentAt[id] = -1;
  received++;
});

const start = performance.now();
const end = start + seconds * 1000;
function pump() {
  const now = performance.now();
  const due = Math.min(Math.floor(((now - start) / 1000) * rate), Math.floor(seconds * rate));
  while (sent < due) {
    const id = sent % 65536;
    const senderIp = `198.19.${id >> 8}.${id & 255}`;
    sentAt[id] = performance.now();
    socket.send(encode({ ethDst: values.dst, ethSrc: socket.mac, op: "request", senderMac: socket.mac, senderIp, targetMac: "00:00:00:00:00:00", targetIp: values.vip }));
    sent++;
  }
  if (now < end) setImmediate(pump);
  else setTimeout(finish, 500);
}
function finish() {
  socket.close();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))] ?? null;
  process.stdout.write(`${JSON.stringify({ sent, received, unmatched, p50_ms: pct(50), p99_ms: pct(99), max_ms: latencies.at(-1) ?? null, startedAt: performance.timeOrigin + start, seconds })}\n`);
}
pump();
