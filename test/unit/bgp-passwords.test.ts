import { createHash } from "node:crypto";
import { afterEach, describe, expect, it } from "vitest";
import { createBgpAnnouncer, type BgpSessionHandle } from "../../src/agents/speaker/bgpAnnouncer.js";
import { withBgpPasswords, type PasswordReader } from "../../src/agents/speaker/bgpPasswords.js";
import type { BgpSessionPlan } from "../../src/agents/speaker/bgpSession.js";
import { passwordInObjects } from "../../src/config/bgpPassword.js";
import type { BgpPasswordRef, BgpPeerConfig } from "../../src/config/types.js";
import type { BgpPlan } from "../../src/projections/bgp/bgpPlan.js";

// The speaker reads each BGPPeer password itself and uses it only if it hashes as the log says: a peer whose value
// cannot be read, or reads stale, has no session (never one with the old key), the wait is logged once, and the read
// is retried until the value matches.

const sha = (v: string): string => createHash("sha256").update(v).digest("hex");
const ref = (value: string): BgpPasswordRef => ({ from: "secret", namespace: "metallb-system", name: "router-md5", key: "password", sha256: sha(value) });
const peer = (password: BgpPasswordRef | null): BgpPeerConfig => ({
  name: "router", myASN: 64512, peerASN: 64500, dynamicASN: null, peerAddress: "198.18.2.1", sourceAddress: null, peerPort: 179, routerID: null,
  holdTimeMs: null, keepaliveTimeMs: null, connectTimeMs: null, password, ebgpMultiHop: false, nodeSelectors: [],
  enableGracefulRestart: false, dualStackAddressFamily: false, vrf: null,
});
const plan = (p: BgpPeerConfig): BgpPlan => new Map([[p.name, { peer: p, routes: new Map() }]]);
const settle = (ms = 30): Promise<void> => new Promise((r) => setTimeout(r, ms));

function harness() {
  const opened: (string | null)[] = [];
  const warnings: { fields: object; msg: string }[] = [];
  const store = { value: "old-key" as string | null, reads: 0 };
  const reader: PasswordReader = {
    where: "test",
    read: async () => (store.reads++, store.value === null ? { missing: "no Secret" } : { value: store.value }),
  };
  const open = (_name: string, s: BgpSessionPlan): BgpSessionHandle => {
    opened.push(s.socket.password);
    return { start: () => undefined, setRoutes: () => undefined, stop: async () => undefined, abandon: async () => undefined, state: { session: { state: "idle", counters: {} }, ribOut: { sent: new Map() }, unsendable: [] } as unknown as BgpSessionHandle["state"] };
  };
  const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };
  const inner = createBgpAnnouncer({ defaults: { routerId: "198.18.0.1", restartTimeS: 120 }, shutdownWaitMs: 0, log: quiet, openSession: open });
  const a = withBgpPasswords(inner, reader, { info: () => undefined, warn: (fields, msg) => void warnings.push({ fields, msg }) }, 20);
  return { a, opened, warnings, store };
}

describe("BGPPeer passwords read by the speaker", () => {
  const open: { a: { close(): Promise<void> } }[] = [];
  afterEach(async () => {
    await Promise.all(open.map((h) => h.a.close()));
    open.length = 0;
  });

  it("opens the session with the value it read once that value hashes as the log says", async () => {
    const h = harness();
    open.push(h);
    h.a.update(plan(peer(ref("old-key"))));
    expect(h.opened).toEqual([]); // not read yet: no session without its key
    await settle();
    expect(h.opened).toEqual(["old-key"]);
  });

  it("after a rotation on the log, waits (logged once) while the value it reads is still the old one, then uses the new one", async () => {
    const h = harness();
    open.push(h);
    h.a.update(plan(peer(ref("old-key"))));
    await settle();
    h.a.update(plan(peer(ref("new-key")))); // the log says new-key; where this speaker reads, the old value is still there
    await settle(120);
    expect(h.opened).toEqual(["old-key"]); // the stale value is never used for the new session
    expect(h.store.reads).toBeGreaterThan(3); // retried
    expect(h.warnings).toHaveLength(1);
    expect(JSON.stringify(h.warnings)).not.toContain("old-key");
    expect(JSON.stringify(h.warnings)).toMatch(/hashes to/);
    h.store.value = "new-key";
    await settle(80);
    expect(h.opened).toEqual(["old-key", "new-key"]);
  });

  it("a peer without a password opens at once; one whose value is missing waits", async () => {
    const h = harness();
    open.push(h);
    h.store.value = null;
    h.a.update(plan(peer(null)));
    expect(h.opened).toEqual([null]);
    h.a.update(new Map([["other", { peer: { ...peer(ref("x")), name: "other" }, routes: new Map() }]]));
    await settle(60);
    expect(h.opened).toEqual([null]);
    expect(h.warnings[0]?.fields).toMatchObject({ problem: "no Secret" });
  });
});

describe("a password in a configuration file", () => {
  const objects = [
    { kind: "BGPPeer", metadata: { name: "inline" }, spec: { myASN: 1, peerASN: 2, peerAddress: "198.18.2.1", password: "in-line" } },
    { kind: "BGPPeer", metadata: { name: "via-secret" }, spec: { myASN: 1, peerASN: 2, peerAddress: "198.18.2.2", passwordSecret: { name: "pw" } } },
    { kind: "Secret", metadata: { name: "pw" }, data: { password: Buffer.from("from-secret").toString("base64") } },
  ];

  it.each([
    ["an inline password", { from: "peer", namespace: null, name: "inline", sha256: "" }, { value: "in-line" }],
    ["a Secret named directly", { from: "secret", namespace: null, name: "pw", key: "password", sha256: "" }, { value: "from-secret" }],
    ["a peer whose passwordSecret names the Secret (an upcast old log)", { from: "peer", namespace: null, name: "via-secret", sha256: "" }, { value: "from-secret" }],
    ["a peer not in the file", { from: "peer", namespace: null, name: "gone", sha256: "" }, { missing: "no BGPPeer gone" }],
  ] as const)("%s", (_name, r, want) => {
    expect(passwordInObjects(objects, r as BgpPasswordRef)).toEqual(want);
  });
});
