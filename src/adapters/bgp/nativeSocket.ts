// TCP connections for BGP sessions that need socket options Node's `net` cannot set before the SYN: TCP MD5
// (BGPPeer.password), TTL 255 (ebgpMultiHop) and binding to a VRF device (vrf). The addon (native/bgpsock.c, built to
// build/native/bgpsock.node) creates the socket, sets the options, binds and starts a non-blocking connect; this
// module polls for the result (every 10 ms: connects are rare, and the FSM's connect timeout bounds the wait) and
// wraps the connected fd in a net.Socket, which owns it from then on.
import { Socket } from "node:net";
import { familyOfText } from "../../net/ip.js";
import { addonPath, loadAddon } from "../native/loadAddon.js";

const BGPSOCK_ADDON_PATH = addonPath("bgpsock");
const POLL_MS = 10;

type Addon = {
  connect(family: number, peer: string, port: number, local: string | null, password: string | null, ttl: number, device: string | null): number;
  result(fd: number): number | null;
  close(fd: number): void;
};

const load = (): Addon => loadAddon<Addon>(BGPSOCK_ADDON_PATH);

export type NativeConnectOptions = {
  peerAddress: string;
  peerPort: number;
  sourceAddress?: string;
  password: string | null;
  ttl: number | null;
  vrf: string | null;
};

/** A connect in progress: `cancel()` abandons it (closing the fd); exactly one of the callbacks runs otherwise. */
export type PendingConnect = { cancel(): void };

export function connectNative(o: NativeConnectOptions, onConnected: (socket: Socket) => void, onFailed: (err: Error) => void): PendingConnect {
  const a = load();
  let fd: number;
  try {
    fd = a.connect(familyOfText(o.peerAddress), o.peerAddress, o.peerPort, o.sourceAddress ?? null, o.password, o.ttl ?? 0, o.vrf);
  } catch (err) {
    queueMicrotask(() => onFailed(err as Error));
    return { cancel: () => undefined };
  }
  let done = false;
  const timer = setInterval(() => {
    const r = a.result(fd);
    if (r === null) return;
    done = true;
    clearInterval(timer);
    if (r !== 0) {
      a.close(fd);
      onFailed(Object.assign(new Error(`connect to ${o.peerAddress}:${o.peerPort} failed (errno ${r})`), { errno: r }));
      return;
    }
    onConnected(new Socket({ fd, readable: true, writable: true }));
  }, POLL_MS);
  return {
    cancel() {
      if (done) return;
      done = true;
      clearInterval(timer);
      a.close(fd);
    },
  };
}
