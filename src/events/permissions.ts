import { STREAMS } from "./types.js";

// The one definition of who may do what on NATS (design.md, "Roles"). It renders the nats-server authorization of
// the lab, the tests and deploy/nats/nats-server.conf, and the chart's deploy/helm/vipmesh/files/nats-permissions.json,
// so the server, not the client, holds every agent to its role. `{id}` stands for the identity (a node name for a
// speaker, the --allocator-id for an allocator), written as a subject token (dots become "_").

export const ROLES = ["speaker", "allocator", "config", "controller", "callout", "reader", "admin"] as const;
export type Role = (typeof ROLES)[number];

/**
 * `allowResponses`: the user may also publish one reply to each request it received (nats-server's
 * `allow_responses`), whatever the reply subject; the auth callout's replies go to the server's own inbox.
 */
export type RolePermissions = { publish: readonly string[]; subscribe: readonly string[]; inboxPrefix: string; allowResponses?: boolean };

/** Where nats-server asks who a connecting client is (auth callout, nats-server 2.10+). */
export const AUTH_CALLOUT_SUBJECT = "$SYS.REQ.USER.AUTH";

export const SNAPSHOT_BUCKET = "vipmesh_snapshots";
const KV_STREAM = `KV_${SNAPSHOT_BUCKET}`;
const ID = "{id}";

/** The snapshot key each role writes (any role that reads the bucket may read every key). */
export const SNAPSHOT_KEYS = { speaker: "speaker", allocator: "allocator" } as const;

/** Replies to a role's requests: its own prefix, `_INBOX_<role>.<id>` (a token of its own, so `*` can stand for any id). */
const inbox = (role: Role): string => `_INBOX_${role}.${ID}`;

const LOG = [STREAMS.events, STREAMS.heartbeats, KV_STREAM] as const;

/**
 * Reading the log: ordered consumers (create, next, delete), direct and stored message reads of `streams`; and the
 * settings of every log stream, which each agent checks (logGuard.ts).
 */
function readStreams(streams: readonly string[]): string[] {
  return [
    "$JS.API.INFO",
    ...LOG.map((s) => `$JS.API.STREAM.INFO.${s}`),
    ...streams.flatMap((s) => [
      `$JS.API.CONSUMER.CREATE.${s}.>`,
      `$JS.API.CONSUMER.INFO.${s}.>`,
      `$JS.API.CONSUMER.MSG.NEXT.${s}.>`,
      `$JS.API.CONSUMER.DELETE.${s}.>`,
      `$JS.API.STREAM.MSG.GET.${s}`,
      `$JS.API.DIRECT.GET.${s}`,
      `$JS.API.DIRECT.GET.${s}.>`,
    ]),
  ];
}

const snapshotWrite = (key: string): string => `$KV.${SNAPSHOT_BUCKET}.${key}`;

const SPEAKER: RolePermissions = {
  publish: [
    `vipmesh.hb.${ID}`,
    `vipmesh.ev.vip.*.${ID}`,
    `vipmesh.ev.member.*.${ID}`,
    `vipmesh.ev.conflict.*.${ID}`,
    `vipmesh.ev.node.${ID}`,
    `vipmesh.ev.announce.${ID}`,
    snapshotWrite(SNAPSHOT_KEYS.speaker),
    ...readStreams(LOG),
  ],
  subscribe: [`${inbox("speaker")}.>`],
  inboxPrefix: inbox("speaker"),
};

const ALLOCATOR: RolePermissions = {
  publish: [`vipmesh.ev.ip.*.${ID}`, snapshotWrite(SNAPSHOT_KEYS.allocator), ...readStreams([STREAMS.events, KV_STREAM])],
  subscribe: [`${inbox("allocator")}.>`],
  inboxPrefix: inbox("allocator"),
};

// Configuration is one subject per object (`vipmesh.ev.cfg.<source>.<kind>.<name>`, design.md); the whole-configuration
// subject of old logs (`vipmesh.ev.config.<source>`) is no longer written by anyone.
const CONFIG: RolePermissions = {
  publish: ["vipmesh.ev.cfg.>", ...readStreams([STREAMS.events])],
  subscribe: [`${inbox("config")}.>`],
  inboxPrefix: inbox("config"),
};

/** `vipmesh controller` runs ingest, an allocator and the status writer (which reads heartbeats) in one process. */
const CONTROLLER: RolePermissions = {
  publish: ["vipmesh.ev.cfg.>", `vipmesh.ev.ip.*.${ID}`, snapshotWrite(SNAPSHOT_KEYS.allocator), ...readStreams(LOG)],
  subscribe: [`${inbox("controller")}.>`],
  inboxPrefix: inbox("controller"),
};

/**
 * Answers nats-server's auth callout (the controller, when speakers log in with their ServiceAccount token): it reads
 * the requests and may publish nothing but the one reply to each.
 */
const CALLOUT: RolePermissions = {
  publish: [],
  subscribe: [AUTH_CALLOUT_SUBJECT, `${inbox("callout")}.>`],
  inboxPrefix: inbox("callout"),
  allowResponses: true,
};

const READER: RolePermissions = {
  publish: readStreams(LOG),
  subscribe: ["_INBOX_reader.>"],
  inboxPrefix: "_INBOX_reader",
};

/** The install step (`vipmesh log init`) and an operator: streams and bucket created and changed only with this. */
const ADMIN: RolePermissions = { publish: [">"], subscribe: [">"], inboxPrefix: "_INBOX" };

export const ROLE_PERMISSIONS: Readonly<Record<Role, RolePermissions>> = {
  speaker: SPEAKER,
  allocator: ALLOCATOR,
  config: CONFIG,
  controller: CONTROLLER,
  callout: CALLOUT,
  reader: READER,
  admin: ADMIN,
};

/**
 * A role with its identity filled in; `id` is the subject token (dots already "_"); reader and admin have none.
 * `*` grants the role under any identity: only test servers whose agents choose their own ids use it.
 */
export type Grant = { role: Role; id: string | null };

export class GrantError extends Error {
  readonly code = "INVALID_NATS_GRANT";
}

const TOKEN = /^[^\s.*>{}]+$/;

export function permissionsFor(grant: Grant): RolePermissions {
  const needsId = grant.role !== "reader" && grant.role !== "admin";
  if (needsId && (grant.id === null || !(TOKEN.test(grant.id) || grant.id === "*"))) throw new GrantError(`role ${grant.role} needs an identity that is one subject token, got ${JSON.stringify(grant.id)}`);
  const fill = (s: string): string => s.replaceAll(ID, grant.id ?? "");
  const p = ROLE_PERMISSIONS[grant.role];
  return { publish: p.publish.map(fill), subscribe: p.subscribe.map(fill), inboxPrefix: fill(p.inboxPrefix), ...(p.allowResponses ? { allowResponses: true } : {}) };
}

/** The inbox prefix an agent of `role` uses as `id` (a subject token; none for reader and admin). */
export function inboxPrefixOf(role: Role, id: string | null): string {
  return permissionsFor({ role, id: role === "reader" || role === "admin" ? null : id }).inboxPrefix;
}

/**
 * The grant of a NATS user named by convention: `admin`, `reader`, `speaker-<node>`, `allocator-<id>`,
 * `config-<id>`, `controller-<id>` (the identity as a subject token); a bare `allocator` or `controller` may take
 * any identity of its role (test servers).
 */
export function grantOfUser(user: string): Grant {
  if (user === "admin" || user === "reader") return { role: user, id: null };
  if (user === "allocator" || user === "controller") return { role: user, id: "*" };
  const dash = user.indexOf("-");
  const role = user.slice(0, dash) as Role;
  if (dash < 0 || !ROLES.includes(role) || role === "admin" || role === "reader") {
    throw new GrantError(`NATS user "${user}" names no role: use admin, reader, speaker-<node>, allocator-<id>, config-<id>, controller-<id> or callout-<id>`);
  }
  return { role, id: user.slice(dash + 1).replaceAll(".", "_") };
}
