import { connect as tcpConnect, type Socket } from "node:net";
import { connect as tlsConnect } from "node:tls";
import { readSecurityFile, type NatsTls } from "./security.js";

// With TLS 1.3 a server refuses a client certificate only after the client's side of the handshake is done, and the
// NATS client then waits out its connect timeout instead of reporting the alert. After such a timeout this one
// handshake, made the way the client makes it (INFO in clear, then TLS), brings the server's alert to light.

const PROBE_MS = 3_000;

function hostPort(url: string): { host: string; port: number } {
  const u = new URL(url.includes("://") ? url : `nats://${url}`);
  return { host: u.hostname.replace(/^\[|\]$/g, ""), port: Number(u.port || "4222") };
}

/** The TLS error the server's alert raises (e.g. ERR_SSL_TLSV1_ALERT_UNKNOWN_CA), or null when none comes. */
export async function tlsRefusalOf(url: string, tls: NatsTls): Promise<Error | null> {
  const { host, port } = hostPort(url);
  const options = {
    ca: readSecurityFile(tls.caFile),
    ...(tls.certFile && tls.keyFile ? { cert: readSecurityFile(tls.certFile), key: readSecurityFile(tls.keyFile) } : {}),
    servername: tls.serverName ?? (/^[\d.:]+$/.test(host) ? "" : host),
  };
  let sock: Socket | null = null;
  try {
    return await new Promise<Error | null>((resolve) => {
      const timer = setTimeout(() => resolve(null), PROBE_MS);
      const done = (err: Error | null): void => {
        clearTimeout(timer);
        resolve(err);
      };
      sock = tcpConnect(port, host);
      sock.once("error", () => done(null));
      sock.once("data", () => {
        const secure = tlsConnect({ ...options, socket: sock as Socket });
        secure.on("secureConnect", () => secure.write("CONNECT {\"verbose\":false}\r\nPING\r\n"));
        secure.on("data", () => done(null));
        secure.once("error", (err) => done(err));
        secure.once("close", () => done(null));
      });
    });
  } finally {
    (sock as Socket | null)?.destroy();
  }
}
