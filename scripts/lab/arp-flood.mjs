#!/usr/bin/env node
// ARP request flood for the arp-flood benchmark, run inside the lab's client namespace. Sends --rate unicast ARP
// requests per second for --vip to --dst (the owner's MAC) for --seconds, each from a distinct sender address in
// 198.19.0.0/16 (inside the lab's range) so that its reply can be matched; prints one JSON summary line.
// Bounded: stops by itself after --seconds. Usage: node arp-flood.mjs --vip IP --dst MAC --rate N --seconds S
import { parseArgs } from "node:util";
import { performance } from "node:perf_hooks";
import { openPacketSocket } from "../../dist/adapters/packet/afpacket.js";
import { encode } from "../../dist/protocols/arp/codec.js";

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

// Replies are read straight from the bytes (Ethernet 14 + ARP: op at 20, sender IP at 28, target IP at 38), and
// requests are stamped from one template, so the generator spends its core sending, not parsing.
const vipBytes = values.vip.split(".").map(Number);
socket.start((frame) => {
  const now = performance.now();
  if (frame.length < 42 || frame[21] !== 2) return;
  if (frame[28] !== vipBytes[0] || frame[29] !== vipBytes[1] || frame[30] !== vipBytes[2] || frame[31] !== vipBytes[3]) return;
  const id = (frame[40] << 8) | frame[41];
  if (sentAt[id] < 0) return void unmatched++;
  latencies.push(now - sentAt[id]);
  sentAt[id] = -1;
  received++;
});

const template = encode({ ethDst: values.dst, ethSrc: socket.mac, op: "request", senderMac: socket.mac, senderIp: "198.19.0.0", targetMac: "00:00:00:00:00:00", targetIp: values.vip });
const start = performance.now();
const end = start + seconds * 1000;
// A 1 ms timer sends what is due; a busy loop would take a whole core from the node under test.
const timer = setInterval(() => {
  const now = performance.now();
  const due = Math.min(Math.floor(((now - start) / 1000) * rate), Math.floor(seconds * rate));
  while (sent < due) {
    const id = sent % 65536;
    const frame = Buffer.from(template);
    frame[30] = id >> 8;
    frame[31] = id & 255;
    sentAt[id] = performance.now();
    socket.send(frame);
    sent++;
  }
  if (now >= end) {
    clearInterval(timer);
    setTimeout(finish, 500);
  }
}, 1);
function finish() {
  socket.close();
  latencies.sort((a, b) => a - b);
  const pct = (p) => latencies[Math.min(latencies.length - 1, Math.max(0, Math.ceil((p / 100) * latencies.length) - 1))] ?? null;
  process.stdout.write(`${JSON.stringify({ sent, received, unmatched, p50_ms: pct(50), p99_ms: pct(99), max_ms: latencies.at(-1) ?? null, startedAt: performance.timeOrigin + start, seconds })}\n`);
}
