#!/usr/bin/env node
// A hostile BGP peer for the lab: a relay between a vipmesh BGP session and a real router that, on command, slips
// extra messages (malformed UPDATEs) into the router's stream toward vipmesh, between two whole messages.
//   node bgp-injector.mjs UPSTREAM_HOST UPSTREAM_PORT SOURCE_ADDRESS [LISTEN_ADDRESS [LISTEN_PORT]]
// Listens on LISTEN_ADDRESS:LISTEN_PORT (default 127.0.0.1, an ephemeral port) for one connection from vipmesh and
// connects to UPSTREAM_HOST:UPSTREAM_PORT from SOURCE_ADDRESS, so the router sees its configured neighbor. Run it in
// the namespace of the vipmesh side. Commands on stdin, one per line:
//   inject HEX   send the message HEX (a whole BGP message) to vipmesh
// Events on stdout, one JSON object per line:
//   {"event":"listening","port":N}  {"event":"connected"}  {"event":"injected","count":N}
//   {"event":"notification","from":"speaker"|"router","code":C,"subcode":S}  {"event":"closed","side":"speaker"|"router"}
// It exits when stdin ends (its parent is gone) or either side closes.
import { createServer, connect } from "node:net";
import { createInterface } from "node:readline";

const [host, portText, source, listenAddress = "127.0.0.1", listenPort = "0"] = process.argv.slice(2);
if (!host || !portText || !source) {
  process.stderr.write("usage: bgp-injector.mjs UPSTREAM_HOST UPSTREAM_PORT SOURCE_ADDRESS [LISTEN_ADDRESS [LISTEN_PORT]]\n");
  process.exit(2);
}
const say = (o) => process.stdout.write(`${JSON.stringify(o)}\n`);
const NOTIFICATION = 3;

/** Calls onMessage with each whole BGP message of a byte stream (19-octet header, Length at octets 16-17). */
function framer(onMessage) {
  let buf = Buffer.alloc(0);
  return (chunk) => {
    buf = Buffer.concat([buf, chunk]);
    while (buf.length >= 19) {
      const length = buf.readUInt16BE(16);
      if (length < 19 || buf.length < length) break;
      onMessage(buf.subarray(0, length));
      buf = buf.subarray(length);
    }
  };
}

const report = (from) => (m) => {
  if (m[18] === NOTIFICATION && m.length >= 21) say({ event: "notification", from, code: m[19], subcode: m[20] });
};

let speaker;
let injected = 0;
const server = createServer((s) => {
  if (speaker) return void s.destroy();
  speaker = s;
  server.close();
  const router = connect({ host, port: Number(portText), localAddress: source });
  const toSpeaker = framer((m) => {
    report("router")(m);
    speaker.write(m);
  });
  const toRouter = framer((m) => {
    report("speaker")(m);
    router.write(m);
  });
  router.on("connect", () => say({ event: "connected" }));
  router.on("data", toSpeaker);
  speaker.on("data", toRouter);
  const closed = (side) => () => {
    say({ event: "closed", side });
    process.exit(0);
  };
  router.on("close", closed("router"));
  speaker.on("close", closed("speaker"));
  router.on("error", (e) => process.stderr.write(`router: ${e.message}\n`));
  speaker.on("error", (e) => process.stderr.write(`speaker: ${e.message}\n`));
});
server.listen(Number(listenPort), listenAddress, () => say({ event: "listening", port: server.address().port }));

createInterface({ input: process.stdin }).on("line", (line) => {
  const [cmd, hex] = line.trim().split(/\s+/);
  if (cmd !== "inject" || !hex || !speaker) return void process.stderr.write(`ignored: ${line}\n`);
  speaker.write(Buffer.from(hex, "hex"));
  say({ event: "injected", count: ++injected });
});
process.stdin.on("end", () => process.exit(0));
