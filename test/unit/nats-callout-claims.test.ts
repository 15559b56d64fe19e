import { describe, expect, it } from "vitest";
import { decode, encode, Algorithms } from "@nats-io/jwt";
import { createAccount, createCurve, createServer, createUser, type KeyPair } from "@nats-io/nkeys";
import { CalloutRequestError, issueUser, readAuthRequest, respond } from "../../src/kube/natsCallout/calloutClaims.js";
import { permissionsFor } from "../../src/events/permissions.js";

// The auth callout's wire format (src/kube/natsCallout/calloutClaims.ts) with keys made here as nats-server makes
// them: a request signed by the server's nkey, sealed for the service's xkey, and the signed answer. The real
// nats-server's side is in test/integration/nats-auth-callout.test.ts.

const issuer = createAccount();
const xkey = createCurve();
const keys = { issuer, xkey };
const te = new TextEncoder();

async function request(opts: { signer?: KeyPair; server?: KeyPair; type?: string; aud?: string; token?: string } = {}): Promise<{ bytes: Uint8Array; server: KeyPair; user: KeyPair }> {
  const server = opts.server ?? createServer();
  const user = createUser();
  const claim = {
    aud: opts.aud ?? "nats-authorization-request", sub: issuer.getPublicKey(), name: "", jti: "", iat: 0, iss: "",
    nats: { type: opts.type ?? "authorization_request", server_id: { name: "n", host: "h", id: server.getPublicKey() }, user_nkey: user.getPublicKey(), client_info: { host: "127.0.0.1", id: 7 }, connect_opts: { auth_token: opts.token ?? "tok" } },
  };
  const jwt = await encode(Algorithms.v2, claim, opts.signer ?? server);
  return { bytes: te.encode(jwt), server, user };
}

describe("reading a request", () => {
  it("opens a sealed request and takes the token, the server and the connection's key from it", async () => {
    const { bytes, server, user } = await request({ token: "the-token" });
    const serverXkey = createCurve();
    const sealed = serverXkey.seal(bytes, xkey.getPublicKey());
    const req = readAuthRequest(sealed, serverXkey.getPublicKey(), keys);
    expect(req).toMatchObject({ token: "the-token", serverId: server.getPublicKey(), userNkey: user.getPublicKey(), serverXkey: serverXkey.getPublicKey(), client: { host: "127.0.0.1", id: 7 } });
  });

  it.each<[string, () => Promise<{ data: Uint8Array; xkey: string | null; keys?: typeof keys }>, RegExp]>([
    ["a sealed request to a service without an xkey", async () => ({ data: (await request()).bytes, xkey: createCurve().getPublicKey(), keys: { issuer, xkey: null } }), /no xkey seed/],
    ["a request sealed for another key", async () => ({ data: createCurve().seal((await request()).bytes, createCurve().getPublicKey()), xkey: createCurve().getPublicKey() }), /does not open/],
    ["bytes that are not a JWT", async () => ({ data: te.encode("hello"), xkey: null }), /not a signed authorization request/],
    ["a request signed by a key other than the server it names", async () => ({ data: (await request({ signer: createServer() })).bytes, xkey: null }), /signed by .* not by the server it names/],
    ["another kind of JWT", async () => ({ data: (await request({ type: "user" })).bytes, xkey: null }), /not authorization_request/],
    ["a request for another audience", async () => ({ data: (await request({ aud: "elsewhere" })).bytes, xkey: null }), /not nats-authorization-request/],
  ])("refuses %s", async (_name, make, message) => {
    const { data, xkey: header, keys: k } = await make();
    expect(() => readAuthRequest(data, header, k ?? keys)).toThrow(CalloutRequestError);
    expect(() => readAuthRequest(data, header, k ?? keys)).toThrow(message);
  });

  it("refuses a request whose signature was tampered with", async () => {
    const jwt = new TextDecoder().decode((await request()).bytes);
    const [h, p, sig] = jwt.split(".");
    const payload = JSON.parse(Buffer.from(p ?? "", "base64url").toString()) as { nats: { connect_opts: { auth_token: string } } };
    payload.nats.connect_opts.auth_token = "someone-else";
    const forged = `${h}.${Buffer.from(JSON.stringify(payload)).toString("base64url")}.${sig}`;
    expect(() => readAuthRequest(te.encode(forged), null, keys)).toThrow(/not a signed authorization request/);
  });
});

describe("answering", () => {
  it("issues a user for the connection's key, signed by the issuer, with the role's permissions and the token's expiry, sealed for the server", async () => {
    const { bytes, server, user } = await request();
    const serverXkey = createCurve();
    const req = readAuthRequest(serverXkey.seal(bytes, xkey.getPublicKey()), serverXkey.getPublicKey(), keys);
    const perms = permissionsFor({ role: "speaker", id: "node-a" });
    const jwt = await issueUser(req, "speaker-node-a", perms, 2_000_000_000, keys);
    const sealed = await respond(req, { jwt }, keys);
    const opened = serverXkey.open(sealed, xkey.getPublicKey());
    expect(opened).not.toBeNull();
    const response = decode<{ jwt: string; type: string }>(new TextDecoder().decode(opened!));
    expect(response).toMatchObject({ iss: issuer.getPublicKey(), sub: user.getPublicKey(), aud: server.getPublicKey(), nats: { type: "authorization_response" } });
    const u = decode<{ pub: { allow: string[] }; sub: { allow: string[] } }>(response.nats.jwt ?? "");
    expect(u).toMatchObject({ iss: issuer.getPublicKey(), sub: user.getPublicKey(), aud: "$G", name: "speaker-node-a", exp: 2_000_000_000 });
    expect(u.nats.pub?.allow).toEqual([...perms.publish]);
    expect(u.nats.sub?.allow).toEqual([...perms.subscribe]);
  });

  it("answers a refusal with its reason, unsealed when the request was not sealed", async () => {
    const { bytes } = await request();
    const req = readAuthRequest(bytes, null, keys);
    const response = decode<{ error: string }>(new TextDecoder().decode(await respond(req, { error: "expired: the token expired 5 s ago" }, keys)));
    expect(response.nats.error).toBe("expired: the token expired 5 s ago");
  });
});
