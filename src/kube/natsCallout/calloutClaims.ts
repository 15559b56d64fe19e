import { decode, encodeAuthorizationResponse, encodeUser, type AuthorizationRequest } from "@nats-io/jwt";
import { fromPublic, type KeyPair } from "@nats-io/nkeys";
import type { RolePermissions } from "../../events/permissions.js";

// The auth callout's wire format (nats-server 2.10+, ADR-26), with NATS's own JWT library: the server's signed
// authorization request in, a signed authorization response out, carrying a user JWT or an error. With an xkey the
// server seals the request for this service's curve key and names its own in a header, and the reply is sealed back.

export const SERVER_XKEY_HEADER = "Nats-Server-Xkey";
const REQUEST_AUDIENCE = "nats-authorization-request";
/** The account a callout user is placed in on a server without accounts (the global one). */
const GLOBAL_ACCOUNT = "$G";

export class CalloutRequestError extends Error {
  readonly code = "AUTH_CALLOUT_REQUEST";
}

/** The service's keys: `issuer` signs (an account nkey, A...); `xkey` (a curve key, X...) when the server encrypts. */
export type CalloutKeys = { issuer: KeyPair; xkey: KeyPair | null };

export type AuthRequest = {
  /** The key the server generated for this connection; the user JWT must be for it. */
  userNkey: string;
  serverId: string;
  /** The server's curve key when the request came sealed: the reply is sealed for it. */
  serverXkey: string | null;
  token: string | undefined;
  client: { host?: string; name?: string; id?: number };
};

/** Opens (if sealed) and checks one request: signed by the server it names, for the callout, of the right type. */
export function readAuthRequest(data: Uint8Array, serverXkey: string | null, keys: CalloutKeys): AuthRequest {
  let bytes = data;
  if (serverXkey !== null) {
    if (!keys.xkey) throw new CalloutRequestError("the server sealed the request (auth_callout xkey) but this service has no xkey seed");
    const opened = keys.xkey.open(data, serverXkey);
    if (!opened) throw new CalloutRequestError(`the request does not open with this service's xkey (sealed by ${serverXkey})`);
    bytes = opened;
  }
  let claims;
  try {
    claims = decode<AuthorizationRequest>(new TextDecoder().decode(bytes));
  } catch (err) {
    throw new CalloutRequestError(`not a signed authorization request: ${(err as Error).message}`);
  }
  const req = claims.nats as Partial<AuthorizationRequest>;
  if (req.type !== "authorization_request") throw new CalloutRequestError(`a JWT of type ${JSON.stringify(req.type)}, not authorization_request`);
  if (claims.aud !== REQUEST_AUDIENCE) throw new CalloutRequestError(`a request for ${JSON.stringify(claims.aud)}, not ${REQUEST_AUDIENCE}`);
  const serverId = req.server_id?.id;
  if (!serverId || claims.iss !== serverId) throw new CalloutRequestError(`the request is signed by ${claims.iss}, not by the server it names (${String(serverId)})`);
  if (!req.user_nkey) throw new CalloutRequestError("the request names no user key");
  const info = req.client_info ?? {};
  return {
    userNkey: req.user_nkey,
    serverId,
    serverXkey,
    token: req.connect_opts?.auth_token,
    client: { ...(info.host !== undefined ? { host: info.host } : {}), ...(info.name !== undefined ? { name: info.name } : {}), ...(info.id !== undefined ? { id: info.id } : {}) },
  };
}

/** A user JWT for the request's connection: named `name`, with `permissions`, valid until `expiresAt` (seconds). */
export function issueUser(req: AuthRequest, name: string, permissions: RolePermissions, expiresAt: number, keys: CalloutKeys): Promise<string> {
  const user = {
    pub: { allow: [...permissions.publish] },
    sub: { allow: [...permissions.subscribe] },
    ...(permissions.allowResponses ? { resp: { max: 1, ttl: 0 } } : {}),
  };
  return encodeUser(name, fromPublic(req.userNkey), keys.issuer, user, { aud: GLOBAL_ACCOUNT, exp: expiresAt });
}

/** The signed response, sealed for the server when the request was: a user JWT, or an error the server logs. */
export async function respond(req: AuthRequest, outcome: { jwt: string } | { error: string }, keys: CalloutKeys): Promise<Uint8Array> {
  const response = await encodeAuthorizationResponse(fromPublic(req.userNkey), fromPublic(req.serverId), keys.issuer, outcome, {});
  const bytes = new TextEncoder().encode(response);
  if (req.serverXkey === null || !keys.xkey) return bytes;
  return keys.xkey.seal(bytes, req.serverXkey);
}
