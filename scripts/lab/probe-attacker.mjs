#!/usr/bin/env node
// An attacker on the lab switch against the fencing probes. It reads the switch's capture of UDP PORT (a pcap file
// that tcpdump keeps writing) and, for SECONDS:
//   forge   answers every probe it sees with a forged "I reach the log and have not heard you for a minute" (what
//           fences the asker), same key id, incarnation and nonce as the probe, signed with a key of its own;
//   replay  sends every probe and answer captured so far again to where it went, over and over.
//   node probe-attacker.mjs PCAP PORT forge|replay SECONDS
// Events on stdout, one JSON object per line: {"event":"done","forged":N,"replayed":N,"captured":N}.
// Run it in a lab namespace: it sends only to the lab addresses it captured.
import { createHmac, randomBytes } from "node:crypto";
import { createSocket } from "node:dgram";
import { readFileSync } from "node:fs";
import { decodeProbe, encodeProbe } from "../../dist/protocols/fence/probeCodec.js";

const [pcap, portText, mode, secondsText] = process.argv.slice(2);
const port = Number(portText);
if (!pcap || !Number.isInteger(port) || (mode !== "forge" && mode !== "replay") || !(Number(secondsText) > 0)) {
  process.stderr.write("usage: probe-attacker.mjs PCAP PORT forge|replay SECONDS\n");
  process.exit(2);
}
const wrongKey = randomBytes(32);
const sign = (bytes) => createHmac("sha256", wrongKey).update(bytes).digest();
const socket = createSocket("udp4");
const counts = { forged: 0, replayed: 0, captured: 0 };
const captured = [];

/** UDP payloads to or from `port` in the Ethernet/IPv4 pcap records of `buf` from `start`; returns where it stopped. */
function udpRecords(buf, start) {
  const out = [];
  if (buf.length < 24) return { out, end: start };
  const le = buf.readUInt32LE(0) === 0xa1b2c3d4 || buf.readUInt32LE(0) === 0xa1b23c4d;
  const u32 = (o) => (le ? buf.readUInt32LE(o) : buf.readUInt32BE(o));
  let off = Math.max(24, start);
  while (off + 16 <= buf.length) {
    const incl = u32(off + 8);
    if (off + 16 + incl > buf.length) break;
    const f = buf.subarray(off + 16, off + 16 + incl);
    off += 16 + incl;
    if (f.length < 42 || f.readUInt16BE(12) !== 0x0800 || f[23] !== 17) continue;
    const udp = 14 + (f[14] & 0x0f) * 4;
    if (f.readUInt16BE(udp + 2) !== port && f.readUInt16BE(udp) !== port) continue;
    out.push({
      from: `${f[26]}.${f[27]}.${f[28]}.${f[29]}`,
      fromPort: f.readUInt16BE(udp),
      to: `${f[30]}.${f[31]}.${f[32]}.${f[33]}`,
      toPort: f.readUInt16BE(udp + 2),
      payload: Buffer.from(f.subarray(udp + 8, 14 + f.readUInt16BE(16))),
    });
  }
  return { out, end: off };
}

let readUpTo = 0;
/** The records tcpdump appended since the last call. */
function readNew() {
  let buf;
  try {
    buf = readFileSync(pcap);
  } catch {
    return [];
  }
  const { out, end } = udpRecords(buf, readUpTo);
  readUpTo = end;
  counts.captured += out.length;
  return out;
}

function forgeAnswer(record) {
  let probe;
  try {
    probe = decodeProbe(record.payload).value;
  } catch {
    return;
  }
  if (probe.message.t !== "probe") return;
  const m = probe.message;
  const answer = { t: "answer", from: m.to, to: m.from, incarnation: m.incarnation, nonce: m.nonce, logAgeMs: 0, askerSilentMs: 60_000 };
  socket.send(encodeProbe(answer, probe.keyId, sign), record.fromPort, record.from);
  counts.forged++;
}

const until = Date.now() + Number(secondsText) * 1000;
const timer = setInterval(() => {
  const fresh = readNew();
  if (mode === "forge") {
    for (const r of fresh) forgeAnswer(r);
  } else {
    // Only what the speakers sent (from their probe port), not this script's own copies coming back through the capture.
    captured.push(...fresh.filter((r) => r.fromPort === port));
    for (const r of captured.slice(-10)) {
      socket.send(r.payload, r.toPort, r.to);
      counts.replayed++;
    }
  }
  if (Date.now() >= until) {
    clearInterval(timer);
    process.stdout.write(`${JSON.stringify({ event: "done", ...counts })}\n`);
    socket.close();
  }
}, 20);
