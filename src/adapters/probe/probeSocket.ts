import { createSocket, type RemoteInfo, type Socket } from "node:dgram";
import type { Logger } from "pino";

// One UDP socket for every speaker-to-speaker probe (fencing's and membership's): one port to open in firewalls
// and NetworkPolicies, one key file, one replay discipline. Datagrams are handed out by their type byte (the
// second byte; fencing 1-2, membership 3-6); whatever no route accepts goes to the catch-all route, whose decoder
// counts it as malformed.

export type DatagramHandler = (bytes: Buffer, from: RemoteInfo) => void;

export type ProbeSocket = {
  /** The port bound (the one asked for, or the kernel's choice for 0). */
  readonly port: number;
  /**
   * Hands each datagram whose type byte `accepts` to `handler`; a route added with `accepts` null takes what no
   * other route accepts. Returns the function that removes the route.
   */
  route: (accepts: ((type: number | undefined) => boolean) | null, handler: DatagramHandler) => () => void;
  send: (bytes: Uint8Array, port: number, address: string, done: (err: Error | null) => void) => void;
  close: () => Promise<void>;
};

type Route = { accepts: ((type: number | undefined) => boolean) | null; handler: DatagramHandler };

export async function openProbeSocket(port: number, log: Logger): Promise<ProbeSocket> {
  const routes: Route[] = [];
  const socket: Socket = createSocket({ type: "udp4", reuseAddr: true });
  socket.on("message", (bytes, from) => {
    const type = bytes[1];
    const route = routes.find((r) => r.accepts?.(type)) ?? routes.find((r) => r.accepts === null);
    route?.handler(bytes, from);
  });
  socket.on("error", (err) => log.warn({ err: err.message }, "probe socket error"));
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.bind(port, () => {
      socket.off("error", reject);
      resolve();
    });
  });
  let closed: Promise<void> | null = null;
  return {
    port: socket.address().port,
    route(accepts, handler) {
      const r: Route = { accepts, handler };
      routes.push(r);
      return () => {
        const at = routes.indexOf(r);
        if (at >= 0) routes.splice(at, 1);
      };
    },
    send: (bytes, toPort, address, done) => {
      if (closed) return done(new Error("probe socket closed"));
      // dgram throws, not calls back, for a port or address it cannot send to (a peer's facts naming port 0 or a
      // name): uncaught, that ended the speaker.
      try {
        socket.send(bytes, toPort, address, (err) => done(err ?? null));
      } catch (err) {
        done(err as Error);
      }
    },
    close: () => (closed ??= new Promise<void>((resolve) => socket.close(() => resolve()))),
  };
}
