// Typed wrapper around the AF_PACKET addon (native/afpacket.c, built to build/native/afpacket.node by
// `npm run build` or `node scripts/build-native.mjs`).
import { addonPath, loadAddon } from "../native/loadAddon.js";

const ADDON_PATH = addonPath("afpacket");
export const ETHERTYPE_ALL = 0x0003;
export const ARPHRD_ETHER = 1;

declare const packetHandleBrand: unique symbol;
/** Opaque native socket handle. Closed by close() or, if never started, when garbage-collected. */
export type PacketHandle = { readonly [packetHandleBrand]: true };

/** Errors thrown or reported by the addon: `code` is the errno name ("EPERM", "ENODEV", "ENETDOWN", ...). */
export interface PacketSocketError extends Error {
  readonly code: string;
  readonly errno?: number;
  readonly syscall?: string;
  readonly interface?: string;
}

export interface InterfaceInfo {
  readonly ifindex: number;
  /** Canonical lowercase MAC ("aa:bb:cc:dd:ee:ff"). */
  readonly mac: string;
  /** ARPHRD_* link type: 1 for Ethernet (and veth), 772 for loopback. */
  readonly hwType: number;
}

export interface KernelSocketStats {
  /** Frames queued to the socket since the previous stats() call. */
  readonly packets: number;
  /** Frames the kernel dropped since the previous stats() call because the receive buffer was full. */
  readonly drops: number;
}

/**
 * In-kernel filters the addon can attach (fixed classic BPF programs compiled into it; JS cannot supply one):
 * "arp" passes ARP requests and replies, "ndp" ICMPv6 Neighbor Solicitations and Advertisements (types 135, 136,
 * no extension headers).
 */
export type PacketFilter = "arp" | "ndp";

/** The raw addon surface, exactly as native/afpacket.c exports it. `true` is the "arp" filter. */
export interface AfPacketAddon {
  open(ifname: string, ethertype: number, filter?: boolean | PacketFilter | "none"): PacketHandle;
  start(handle: PacketHandle, onFrame: (frame: Buffer) => void, onError?: (err: PacketSocketError) => void): void;
  send(handle: PacketHandle, frame: Uint8Array): number;
  close(handle: PacketHandle): void;
  stats(handle: PacketHandle): KernelSocketStats;
  interfaceInfo(ifname: string): InterfaceInfo;
}

/** Loads (once per path) the compiled addon. Throws AddonMissingError when it has not been built. */
export function loadAfPacket(path: string = ADDON_PATH): AfPacketAddon {
  return loadAddon<AfPacketAddon>(path);
}

/** Index, MAC and link type of an interface in the caller's network namespace. */
export function interfaceInfo(ifname: string, addon: AfPacketAddon = loadAfPacket()): InterfaceInfo {
  return addon.interfaceInfo(ifname);
}

/** The port transports depend on: one bound packet socket on one interface. */
export interface PacketSocket {
  readonly ifname: string;
  readonly ifindex: number;
  readonly mac: string;
  /** ARPHRD_* link type of the interface (ARPHRD_ETHER = 1). */
  readonly hwType: number;
  /** Starts delivering received frames (never our own sends). At most once per socket. */
  start(onFrame: (frame: Uint8Array) => void, onError?: (err: PacketSocketError) => void): void;
  /** Sends one whole Ethernet frame now (non-blocking); returns bytes sent. Throws PacketSocketError. */
  send(frame: Uint8Array): number;
  stats(): KernelSocketStats;
  /** Idempotent. */
  close(): void;
}

export interface OpenPacketSocketOptions {
  readonly ifname: string;
  readonly ethertype: number;
  /** Attach an in-kernel filter; none by default. */
  readonly filter?: PacketFilter;
  /** Same as filter: "arp" (kept for older callers). */
  readonly arpFilter?: boolean;
  readonly addon?: AfPacketAddon;
}

/** Opens a packet socket bound to `ifname` and `ethertype`. Needs CAP_NET_RAW; throws PacketSocketError. */
export function openPacketSocket(opts: OpenPacketSocketOptions): PacketSocket {
  const addon = opts.addon ?? loadAfPacket();
  const info = addon.interfaceInfo(opts.ifname);
  const handle = addon.open(opts.ifname, opts.ethertype, opts.filter ?? (opts.arpFilter === true ? "arp" : "none"));
  let closed = false;
  return {
    ifname: opts.ifname,
    ifindex: info.ifindex,
    mac: info.mac,
    hwType: info.hwType,
    start: (onFrame, onError) => addon.start(handle, onFrame, onError),
    send: (frame) => addon.send(handle, frame),
    stats: () => addon.stats(handle),
    close: () => {
      if (closed) return;
      closed = true;
      addon.close(handle);
    },
  };
}
