import { grantOfUser, permissionsFor, ROLE_PERMISSIONS, ROLES, type Grant, type RolePermissions } from "./permissions.js";

// Renders the roles (permissions.ts) as nats-server configuration and as the Helm chart's permissions file.

/**
 * A user of a fixed-membership server (lab, tests, hosts without Kubernetes). `secret`: a password (or its bcrypt hash)
 * or an nkey. `grants`: what the user may do (default: the role its name gives); more than one is their union.
 */
export type AuthorizedUser = { user: string; grants?: readonly Grant[]; secret: { password: string } | { nkey: string } };

/** The union of several grants' permissions; replies go to the first one's inbox. */
export function combinedPermissions(grants: readonly Grant[]): RolePermissions {
  const each = grants.map(permissionsFor);
  const union = (pick: (p: RolePermissions) => readonly string[]): string[] => [...new Set(each.flatMap(pick))];
  const first = each[0];
  if (!first) throw new Error("a NATS user needs at least one grant");
  const allowResponses = each.some((p) => p.allowResponses === true);
  return { publish: union((p) => p.publish), subscribe: union((p) => p.subscribe), inboxPrefix: first.inboxPrefix, ...(allowResponses ? { allowResponses } : {}) };
}

const list = (items: readonly string[]): string => `[${items.map((s) => JSON.stringify(s)).join(", ")}]`;

export function renderPermissions(p: RolePermissions): string {
  // An empty allow list would allow everything: a role that publishes nothing of its own denies every subject.
  const publish = p.publish.length > 0 ? `{ allow: ${list(p.publish)} }` : `{ deny: [">"] }`;
  return `{ publish: ${publish}, subscribe: { allow: ${list(p.subscribe)} }${p.allowResponses ? ", allow_responses: true" : ""} }`;
}

function renderUser(u: AuthorizedUser): string {
  const who = "nkey" in u.secret ? `nkey: ${JSON.stringify(u.secret.nkey)}` : `user: ${JSON.stringify(u.user)}, password: ${JSON.stringify(u.secret.password)}`;
  const p = combinedPermissions(u.grants ?? [grantOfUser(u.user)]);
  // Unrestricted is written as no permissions at all: nats-server checks a permissioned client's publishes against
  // its lists (cached per subject), and the admin may publish on many subjects (the scale simulator beats as 100
  // nodes); with a `>` list, direct gets timed out under that flow.
  if (p.publish.includes(">") && p.subscribe.includes(">")) return `{ ${who} }`;
  return `{ ${who}, permissions: ${renderPermissions(p)} }`;
}

/**
 * Auth callout (nats-server 2.10+): a client that is none of the configured users is sent to the callout service,
 * which answers with a user JWT signed by `issuer` (an account nkey, A...). `xkey` (X...): the service's curve key;
 * requests and replies are then encrypted. Every configured user logs in as before (`auth_users`).
 */
export type AuthCalloutSettings = { issuer: string; xkey?: string };

/** `authorization { users: [...] }` with each user's role; a user without a grant gets the one its name gives. */
export function renderAuthorization(users: readonly AuthorizedUser[], indent = "", callout?: AuthCalloutSettings): string {
  const calloutLines = callout ? renderAuthCallout(callout, users.map((u) => ("nkey" in u.secret ? u.secret.nkey : u.user))).map((l) => `${indent}  ${l}`) : [];
  return [`${indent}authorization {`, `${indent}  users: [`, ...users.map((u) => `${indent}    ${renderUser(u)}`), `${indent}  ]`, ...calloutLines, `${indent}}`].join("\n");
}

function renderAuthCallout(c: AuthCalloutSettings, authUsers: readonly string[]): string[] {
  return [
    "auth_callout {",
    `  issuer: ${JSON.stringify(c.issuer)}`,
    `  auth_users: ${list(authUsers)}`,
    ...(c.xkey ? [`  xkey: ${JSON.stringify(c.xkey)}`] : []),
    "}",
  ];
}

/** deploy/helm/vipmesh/files/nats-permissions.json: every role, `{id}` standing for the identity. */
export function renderChartPermissions(): string {
  const roles = Object.fromEntries(ROLES.map((r) => [r, ROLE_PERMISSIONS[r]]));
  return `${JSON.stringify({ version: 1, roles }, null, 2)}\n`;
}
