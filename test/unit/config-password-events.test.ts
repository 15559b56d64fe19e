import { createHash } from "node:crypto";
import { describe, expect, it } from "vitest";
import { parseManifests } from "../../src/config/parseManifests.js";
import { decodeEvent, encodeEvent } from "../../src/events/codec.js";
import type { EventMeta } from "../../src/events/types.js";
import { applyLogEvent, emptyLogState } from "../../src/projections/logState.js";
import { encodeSnapshot } from "../../src/projections/snapshot.js";

// A BGPPeer's password reaches the log only as a reference and the SHA-256 of its value (ConfigApplied v6); the
// payloads of v3-v5, which carried the value, decode to a reference to the peer with the value's hash, so an old
// log's password is never copied into a new event or a snapshot.

const META: EventMeta = { stream: "EVENTS", seq: 1, time: 1, subject: "vipmesh.ev.config.file" };
const sha = (v: string): string => createHash("sha256").update(v).digest("hex");
const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);
const PEER = `kind: BGPPeer\nmetadata: { name: router, namespace: metallb-system }\nspec: { myASN: 64512, peerASN: 64500, peerAddress: "198.18.2.1", password: "md5-SECRET-value" }\n`;

/** A v5 payload as an earlier release wrote it: the password in clear. */
const legacyPeer = {
  name: "router", myASN: 64512, peerASN: 64500, dynamicASN: null, peerAddress: "198.18.2.1", sourceAddress: null, peerPort: 179, routerID: null,
  holdTimeMs: null, keepaliveTimeMs: null, connectTimeMs: null, password: "md5-SECRET-value", ebgpMultiHop: false, nodeSelectors: [],
  enableGracefulRestart: false, dualStackAddressFamily: false, vrf: null,
};
const legacyConfig = { pools: [], l2Advertisements: [], services: [], nodes: [], namespaces: [], bgp: { peers: [legacyPeer], advertisements: [] } };

describe("BGPPeer passwords on the log", () => {
  it("an inline password is written as ConfigApplied v6 with a reference to the BGPPeer and the value's SHA-256, never the value", () => {
    const config = parseManifests(PEER);
    const bytes = encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "h", config } });
    const wire = JSON.parse(text(bytes)) as { v: number };
    expect(wire.v).toBe(6);
    expect(text(bytes)).not.toContain("md5-SECRET-value");
    const d = decodeEvent(bytes, META);
    expect(d.ok && d.event.type === "ConfigApplied" ? d.event.data.config.bgp?.peers[0]?.password : undefined).toEqual({
      from: "peer", namespace: "metallb-system", name: "router", sha256: sha("md5-SECRET-value"),
    });
  });

  it.each([3, 4, 5])("a v%i payload with the password in clear decodes to a reference with its hash; the value is in no state or snapshot made from it", (v) => {
    const bytes = new TextEncoder().encode(JSON.stringify({ type: "ConfigApplied", v, data: { source: "file", hash: "h", config: legacyConfig } }));
    const d = decodeEvent(bytes, META);
    expect(d.ok).toBe(true);
    if (!d.ok || d.event.type !== "ConfigApplied") return;
    expect(d.event.data.config.bgp?.peers[0]?.password).toEqual({ from: "peer", namespace: null, name: "router", sha256: sha("md5-SECRET-value") });
    const state = emptyLogState();
    applyLogEvent(state, d.event, META);
    expect(encodeSnapshot(state)).not.toContain("md5-SECRET-value");
    expect(text(encodeEvent(d.event))).not.toContain("md5-SECRET-value");
  });

  it("a v6 payload carrying a value instead of a reference is refused at the boundary", () => {
    const bytes = new TextEncoder().encode(JSON.stringify({ type: "ConfigApplied", v: 6, data: { source: "file", hash: "h", config: legacyConfig } }));
    const d = decodeEvent(bytes, META);
    expect(d.ok).toBe(false);
  });

  it("a configuration without passwords keeps its version and bytes", () => {
    const config = parseManifests(PEER.replace(', password: "md5-SECRET-value"', ""));
    expect((JSON.parse(text(encodeEvent({ type: "ConfigApplied", data: { source: "file", hash: "h", config } }))) as { v: number }).v).toBe(3);
  });
});
