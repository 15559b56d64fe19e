import { describeIdentity, NatsSecurityFileError, type NatsClientSecurity } from "./security.js";
import { tlsRefusalOf } from "./tlsProbe.js";

// Tells a refusal (credentials, TLS, a file that cannot be read) from an unreachable server, so the message says
// what to fix instead of "cannot reach NATS".

const TLS_CODES = new Set([
  "SELF_SIGNED_CERT_IN_CHAIN",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "CERT_HAS_EXPIRED",
  "CERT_NOT_YET_VALID",
  "ERR_TLS_CERT_ALTNAME_INVALID",
  "ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED",
  "ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE",
  "ERR_SSL_TLSV1_ALERT_UNKNOWN_CA",
  "ERR_SSL_SSLV3_ALERT_CERTIFICATE_UNKNOWN",
]);

function chain(err: unknown): (Error & { code?: unknown })[] {
  const out: (Error & { code?: unknown })[] = [];
  for (let e = err; e instanceof Error && out.length < 5; e = e.cause) out.push(e);
  return out;
}

/** The message to show when `err` is a refusal, or null when the server was simply not reached. */
export function natsRefusal(err: unknown, servers: string[], sec: NatsClientSecurity): string | null {
  const errors = chain(err);
  const at = `NATS at ${servers.join(", ")}`;
  const fileError = errors.find((e) => e instanceof NatsSecurityFileError);
  if (fileError) return fileError.message;
  const text = errors.map((e) => e.message).join(": ");
  if (errors.some((e) => e.name === "AuthorizationError" || /authorization violation|authentication/i.test(e.message))) {
    return `${at} refused the credentials of ${describeIdentity({ ...sec, tls: null })}: ${text}`;
  }
  const tlsError = errors.find((e) => (typeof e.code === "string" && TLS_CODES.has(e.code)) || /certificate|altnames|\bssl\b|\btls\b/i.test(e.message));
  if (tlsError) {
    const code = typeof tlsError.code === "string" ? tlsError.code : "";
    const expected = sec.tls?.serverName ? `, expected server name "${sec.tls.serverName}"` : "";
    const refusedCert = code.includes("_ALERT_") && sec.tls?.certFile ? `the server refused the client certificate ${sec.tls.certFile.path}: ` : "";
    return `TLS with ${at} failed: ${refusedCert}${opensslText(text)}${code ? ` [${code}]` : ""} (${describeIdentity(sec)}${expected})`;
  }
  return null;
}

/** "80DC…:error:0A000418:SSL routines:ssl3_read_bytes:tlsv1 alert unknown ca:../deps/…:SSL alert number 48" -> "tlsv1 alert unknown ca (SSL alert number 48)". */
function opensslText(text: string): string {
  const m = /SSL routines:[^:]*:([^:]+):.*?(SSL alert number \d+)?\s*$/s.exec(text);
  return m ? `${m[1]}${m[2] ? ` (${m[2]})` : ""}` : text;
}

/**
 * natsRefusal, and for a connect that timed out with a client certificate configured, what one plain TLS handshake
 * to each server says (tlsProbe.ts): a refused certificate is reported as such, not as an unreachable server.
 */
export async function explainRefusal(err: unknown, servers: string[], sec: NatsClientSecurity): Promise<string | null> {
  const direct = natsRefusal(err, servers, sec);
  if (direct !== null || !sec.tls?.certFile || !(err instanceof Error) || err.name !== "TimeoutError") return direct;
  for (const server of servers) {
    const alert = await tlsRefusalOf(server, sec.tls).catch(() => null);
    if (alert) return natsRefusal(alert, [server], sec);
  }
  return null;
}
