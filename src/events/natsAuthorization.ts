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
  return { publish: union((p) => p.publish), subscribe: union((p) => p.subscribe), inboxPrefix: first.inboxPrefix };
}

const list = (items: readonly string[]): string => `[${items.map((s) => JSON.stringify(s)).join(", ")}]`;

export function renderPermissions(p: RolePermissions): string {
  return `{ publish: { allow: ${list(p.publish)} }, subscribe: { allow: ${list(p.subscribe)} } }`;
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

/** `authorization { users: [...] }` with each user's role; a user without a grant gets the one its name gives. */
export function renderAuthorization(users: readonly AuthorizedUser[], indent = ""): string {
  return [`${indent}authorization {`, `${indent}  users: [`, ...users.map((u) => `${indent}    ${renderUser(u)}`), `${indent}  ]`, `${indent}}`].join("\n");
}

/** deploy/helm/vipmesh/files/nats-permissions.json: every role, `{id}` standing for the identity. */
export function renderChartPermissions(): string {
  const roles = Object.fromEntries(ROLES.map((r) => [r, ROLE_PERMISSIONS[r]]));
  return `${JSON.stringify({ version: 1, roles }, null, 2)}\n`;
}
