import { createServer, connect, type Server, type Socket } from "node:net";

// A loopback TCP proxy that can black-hole its traffic, as a pulled cable does: while cut, bytes in both directions
// are dropped (no RST, no FIN) and new connections are held unanswered; connections made while cut, or before, stay
// dead after the cut ends (their peers gave up on them), new ones are forwarded again.

export type BlackholeProxy = { port: number; cut: () => void; restore: () => void; close: () => Promise<void> };

export async function startBlackholeProxy(targetPort: number): Promise<BlackholeProxy> {
  let cut = false;
  const sockets = new Set<Socket>();
  const dead = new WeakSet<Socket>();
  const server: Server = createServer((client) => {
    sockets.add(client);
    client.on("close", () => sockets.delete(client));
    client.on("error", () => undefined);
    if (cut) {
      dead.add(client);
      client.on("data", () => undefined);
      return;
    }
    const upstream = connect(targetPort, "127.0.0.1");
    sockets.add(upstream);
    upstream.on("close", () => sockets.delete(upstream));
    upstream.on("error", () => client.destroy());
    client.on("error", () => upstream.destroy());
    client.on("data", (d) => void (cut || dead.has(client) ? undefined : upstream.write(d)));
    upstream.on("data", (d) => void (cut || dead.has(client) ? undefined : client.write(d)));
    client.on("close", () => upstream.destroy());
    upstream.on("close", () => (dead.has(client) ? undefined : client.destroy()));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const address = server.address();
  const port = typeof address === "object" && address ? address.port : 0;
  return {
    port,
    cut: () => {
      cut = true;
      for (const s of sockets) dead.add(s);
    },
    restore: () => void (cut = false),
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
