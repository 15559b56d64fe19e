import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { CHART_PERMISSIONS_PATH, DEPLOY_CONF_PATH, DESIGN_PATH, deployAuthorizationBlock, renderChartPermissions, rolesTable, withAuthorizationBlock } from "../../src/events/deployAuthorization.js";
import { combinedPermissions, renderAuthorization } from "../../src/events/natsAuthorization.js";
import { GrantError, grantOfUser, inboxPrefixOf, permissionsFor, ROLES } from "../../src/events/permissions.js";

// The one definition of roles (src/events/permissions.ts) and what is generated from it.

const root = new URL("../../", import.meta.url);
const read = (path: string): string => readFileSync(new URL(path, root), "utf8");

// A NATS subject pattern matches a subject token by token ("*" one token, ">" the rest).
function allows(patterns: readonly string[], subject: string): boolean {
  return patterns.some((p) => {
    const a = p.split(".");
    const b = subject.split(".");
    for (let i = 0; i < a.length; i++) {
      if (a[i] === ">") return b.length > i;
      if (i >= b.length || (a[i] !== "*" && a[i] !== b[i])) return false;
    }
    return a.length === b.length;
  });
}

describe("generated from the roles", () => {
  it(`${CHART_PERMISSIONS_PATH} is current (node scripts/render-nats-permissions.mjs)`, () => {
    expect(read(CHART_PERMISSIONS_PATH)).toBe(renderChartPermissions());
  });

  it(`${DEPLOY_CONF_PATH}'s authorization block is current (node scripts/render-nats-permissions.mjs)`, () => {
    const conf = read(DEPLOY_CONF_PATH);
    expect(conf).toContain(deployAuthorizationBlock());
    expect(withAuthorizationBlock(conf)).toBe(conf);
  });

  it(`${DESIGN_PATH}'s roles table is current (node scripts/render-nats-permissions.mjs)`, () => {
    expect(read(DESIGN_PATH)).toContain(rolesTable());
  });

  it("the chart's file has every role, the identity written as {id}", () => {
    const file = JSON.parse(read(CHART_PERMISSIONS_PATH)) as { version: number; roles: Record<string, { publish: string[]; subscribe: string[]; inboxPrefix: string }> };
    expect(file.version).toBe(1);
    expect(Object.keys(file.roles)).toEqual([...ROLES]);
    expect(file.roles["speaker"]?.publish).toContain("vipmesh.ev.vip.*.{id}");
    expect(file.roles["speaker"]?.inboxPrefix).toBe("_INBOX_speaker.{id}");
  });
});

const speaker = permissionsFor({ role: "speaker", id: "node1" });
const allocator = permissionsFor({ role: "allocator", id: "a1" });
const reader = permissionsFor({ role: "reader", id: null });

describe("what each role may publish", () => {
  it.each<[string, readonly string[], string, boolean]>([
    ["speaker: its own claim", speaker.publish, "vipmesh.ev.vip.198_18_0_10.node1", true],
    ["speaker: a claim as another node", speaker.publish, "vipmesh.ev.vip.198_18_0_10.node2", false],
    ["speaker: its heartbeat", speaker.publish, "vipmesh.hb.node1", true],
    ["speaker: another's heartbeat", speaker.publish, "vipmesh.hb.node2", false],
    ["speaker: its leave", speaker.publish, "vipmesh.ev.node.node1", true],
    ["speaker: another's leave", speaker.publish, "vipmesh.ev.node.node2", false],
    ["speaker: its fencing episodes", speaker.publish, "vipmesh.ev.announce.node1", true],
    ["speaker: an IP claim", speaker.publish, "vipmesh.ev.ip.198_18_0_10.node1", false],
    ["speaker: configuration", speaker.publish, "vipmesh.ev.cfg.file.pool.p", false],
    ["speaker: its snapshot key", speaker.publish, "$KV.vipmesh_snapshots.speaker", true],
    ["speaker: the allocators' snapshot key", speaker.publish, "$KV.vipmesh_snapshots.allocator", false],
    ["allocator: its own IP claim", allocator.publish, "vipmesh.ev.ip.198_18_0_10.a1", true],
    ["allocator: an IP claim as another", allocator.publish, "vipmesh.ev.ip.198_18_0_10.a2", false],
    ["allocator: a VIP claim", allocator.publish, "vipmesh.ev.vip.198_18_0_10.a1", false],
    ["reader: anything on the log", reader.publish, "vipmesh.ev.node.node1", false],
    ["reader: a consumer on EVENTS", reader.publish, "$JS.API.CONSUMER.CREATE.EVENTS.c1.vipmesh_ev_>", true],
  ])("%s", (_name, publish, subject, expected) => {
    expect(allows(publish, subject)).toBe(expected);
  });

  it.each(["STREAM.CREATE", "STREAM.UPDATE", "STREAM.DELETE", "STREAM.PURGE", "STREAM.MSG.DELETE", "STREAM.SNAPSHOT", "STREAM.RESTORE"])("no role but admin may %s", (api) => {
    for (const role of ROLES.filter((r) => r !== "admin")) {
      const p = permissionsFor({ role, id: role === "reader" ? null : "x" });
      for (const stream of ["EVENTS", "HEARTBEATS", "KV_vipmesh_snapshots"]) expect(allows(p.publish, `$JS.API.${api}.${stream}`), `${role} ${api} ${stream}`).toBe(false);
    }
    expect(allows(permissionsFor({ role: "admin", id: null }).publish, `$JS.API.${api}.EVENTS`)).toBe(true);
  });

  it("each role reads replies only on its own inbox prefix", () => {
    expect(speaker.subscribe).toEqual(["_INBOX_speaker.node1.>"]);
    expect(allows(speaker.subscribe, "_INBOX_speaker.node2.x")).toBe(false);
    expect(inboxPrefixOf("allocator", "a1")).toBe("_INBOX_allocator.a1");
    expect(inboxPrefixOf("reader", null)).toBe("_INBOX_reader");
  });

  it("a user's role comes from its name; a name with no role is refused", () => {
    expect(grantOfUser("speaker-node-1.example")).toEqual({ role: "speaker", id: "node-1_example" });
    expect(grantOfUser("allocator-a1")).toEqual({ role: "allocator", id: "a1" });
    expect(grantOfUser("reader")).toEqual({ role: "reader", id: null });
    expect(() => grantOfUser("root")).toThrow(GrantError);
    expect(() => permissionsFor({ role: "speaker", id: "a.b" })).toThrow(/one subject token/);
  });

  it("several grants are their union, replies on the first one's inbox", () => {
    const both = combinedPermissions([{ role: "speaker", id: "n1" }, { role: "config", id: "n1" }]);
    expect(allows(both.publish, "vipmesh.ev.cfg.file.service.ns~web")).toBe(true);
    expect(both.inboxPrefix).toBe("_INBOX_speaker.n1");
    expect(renderAuthorization([{ user: "speaker-n1", secret: { password: "p" } }])).toContain('{ user: "speaker-n1", password: "p", permissions: { publish: { allow: ["vipmesh.hb.n1"');
    expect(renderAuthorization([{ user: "admin", secret: { password: "p" } }])).toContain('{ user: "admin", password: "p" }');
  });
});

describe("the auth callout", () => {
  it("may read the callout's requests and answer them, and nothing else", () => {
    const callout = permissionsFor({ role: "callout", id: "c1" });
    expect(callout.subscribe).toContain("$SYS.REQ.USER.AUTH");
    expect(callout.publish).toEqual([]);
    expect(callout.allowResponses).toBe(true);
    expect(renderAuthorization([{ user: "controller", grants: [{ role: "controller", id: "*" }, { role: "callout", id: "*" }], secret: { password: "p" } }])).toContain("allow_responses: true");
  });

  it("sends every client but the configured users to the callout, and a role publishing nothing denies every subject", () => {
    const conf = renderAuthorization([{ user: "admin", secret: { password: "p" } }, { user: "callout-x", secret: { password: "q" } }, { user: "reader", secret: { nkey: "UABC" } }], "", { issuer: "AISSUER", xkey: "XKEY" });
    expect(conf).toContain('auth_users: ["admin", "callout-x", "UABC"]');
    expect(conf).toContain('issuer: "AISSUER"');
    expect(conf).toContain('xkey: "XKEY"');
    expect(conf).toContain('publish: { deny: [">"] }');
  });
});
