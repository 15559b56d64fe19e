// UDP sockets for BFD through the native addon (native/bfdsock.c, built to build/native/bfdsock.node): the addon
// creates and binds the socket with a send TTL and an in-kernel receive TTL floor (Linux's IP_MINTTL does not apply
// to UDP), and dgram wraps the fd, owning it from then on.
import { createSocket, type Socket } from "node:dgram";
import type { BpfInstruction } from "../../protocols/bfd/ttlFilter.js";
import { addonPath, loadAddon } from "../native/loadAddon.js";

const BFDSOCK_ADDON_PATH = addonPath("bfdsock");

type Addon = {
  open(family: number, local: string | null, port: number, ttl: number, minTtl: number, device: string | null): number;
  filter(fd: number, program: number[]): void;
  close(fd: number): void;
};

const load = (): Addon => loadAddon<Addon>(BFDSOCK_ADDON_PATH);
/** The fd under each socket this file opened (dgram does not expose it), for a later filter change. */
const fds = new WeakMap<Socket, number>();

export interface BfdSocketOptions {
  readonly family: 4 | 6;
  /** Local address to bind; null: any address of the family. */
  readonly address: string | null;
  readonly port: number;
  /** TTL / hop limit of sent datagrams (0: the system default). */
  readonly ttl: number;
  /** Datagrams received with a lower TTL / hop limit are dropped in the kernel (0: none). */
  readonly minTtl: number;
  readonly device?: string;
}

/** A bound dgram socket with the options set. Errors carry the addon's code (EADDRINUSE, EPERM, ESOCKET). */
export async function openBfdSocket(o: BfdSocketOptions): Promise<Socket> {
  const a = load();
  const fd = a.open(o.family, o.address, o.port, o.ttl, o.minTtl, o.device ?? null);
  const socket = createSocket(o.family === 6 ? "udp6" : "udp4");
  try {
    await new Promise<void>((resolve, reject) => {
      socket.once("error", reject);
      socket.bind({ fd }, () => {
        socket.off("error", reject);
        resolve();
      });
    });
  } catch (err) {
    a.close(fd);
    throw err;
  }
  fds.set(socket, fd);
  return socket;
}

/** Replaces the receive filter of a socket opened by openBfdSocket (the multihop TTL floors, ttlFilter.ts). */
export function setReceiveFilter(socket: Socket, program: readonly BpfInstruction[]): void {
  const fd = fds.get(socket);
  if (fd === undefined) throw new Error("bfd: not a socket of openBfdSocket");
  load().filter(fd, program.flatMap((i) => [i.code, i.jt, i.jf, i.k]));
}
