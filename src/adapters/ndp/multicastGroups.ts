// Membership of each VIP's solicited-node multicast group on the answering interface, so that multicast Neighbor
// Solicitations for the VIP reach us on real hardware.
//
// How: IPV6_JOIN_GROUP (a.k.a. IPV6_ADD_MEMBERSHIP) on a raw ICMPv6 socket from `raw-socket`, per interface. The
// kernel then programs the NIC's multicast filter with 33:33:ff:xx:xx:xx *and* runs MLD for the group: it sends
// reports and answers queries, so switches doing MLD snooping forward the solicitations to this port. The
// alternative, PACKET_ADD_MEMBERSHIP on the packet socket, only programs the NIC filter: no MLD, so a snooping
// switch would never send us the group's traffic. (Node's dgram addMembership would also do MLD, but needs a bound
// UDP port for no reason.) The raw socket receives nothing: ICMP6_FILTER blocks every type and its poll watcher is
// paused, so it neither queues packets nor keeps the event loop alive. Closing it leaves all its groups.
import { createRequire } from "node:module";
import { endianness } from "node:os";
import { ipv6ToBytes, solicitedNodeAddress } from "../../protocols/codec/ipv6.js";

const IPPROTO_IPV6 = 41;
const IPV6_JOIN_GROUP = 20;
const IPV6_LEAVE_GROUP = 21;
const IPPROTO_ICMPV6 = 58;
const ICMP6_FILTER = 1;

/** The port: join and leave IPv6 multicast groups on one interface. */
export interface GroupMembership {
  /** Throws MulticastGroupError. */
  join(group: string): void;
  leave(group: string): void;
  /** Idempotent; leaves every group. */
  close(): void;
}

export class MulticastGroupError extends Error {
  override readonly name = "MulticastGroupError";
  readonly code = "ERR_MULTICAST_GROUP";

  constructor(
    readonly ifname: string,
    readonly group: string,
    readonly op: string,
    cause: unknown,
  ) {
    super(`${op} ${group} on ${ifname} failed: ${cause instanceof Error ? cause.message : String(cause)}`, { cause });
  }
}

/** The part of raw-socket's Socket used here (the package ships no types). */
interface RawSocket {
  setOption(level: number, option: number, value: Buffer, length: number): void;
  pauseRecv(): void;
  pauseSend(): void;
  close(): void;
}
interface RawSocketModule {
  createSocket(opts: { addressFamily: number; protocol: number }): RawSocket;
  AddressFamily: { IPv6: number };
  Protocol: { ICMPv6: number };
}

/** struct ipv6_mreq: the group's 16 bytes, then the interface index as a host-order int. */
function mreq(group: string, ifindex: number): Buffer {
  const b = Buffer.alloc(20);
  b.set(ipv6ToBytes(group, "group"));
  if (endianness() === "LE") b.writeInt32LE(ifindex, 16);
  else b.writeInt32BE(ifindex, 16);
  return b;
}

/** Opens a raw ICMPv6 socket for memberships on interface `ifindex`. Needs CAP_NET_RAW. */
export function openIpv6Membership(ifname: string, ifindex: number): GroupMembership {
  const raw = createRequire(import.meta.url)("raw-socket") as RawSocketModule;
  const socket = raw.createSocket({ addressFamily: raw.AddressFamily.IPv6, protocol: raw.Protocol.ICMPv6 });
  let closed = false;
  try {
    socket.setOption(IPPROTO_ICMPV6, ICMP6_FILTER, Buffer.alloc(32, 0xff), 32); // block all: receive nothing
    socket.pauseRecv();
    socket.pauseSend();
  } catch (err) {
    socket.close();
    throw new MulticastGroupError(ifname, "-", "configure raw ICMPv6 socket", err);
  }
  const set = (op: number, name: string, group: string): void => {
    try {
      socket.setOption(IPPROTO_IPV6, op, mreq(group, ifindex), 20);
    } catch (err) {
      throw new MulticastGroupError(ifname, group, name, err);
    }
  };
  return {
    join: (group) => set(IPV6_JOIN_GROUP, "join", group),
    leave: (group) => set(IPV6_LEAVE_GROUP, "leave", group),
    close: () => {
      if (closed) return;
      closed = true;
      socket.close();
    },
  };
}

/**
 * The solicited-node groups of a set of VIPs on one interface, reference-counted: VIPs that share their low 24 bits
 * share a group, which is joined with the first and left with the last.
 */
export class SolicitedNodeGroups {
  private readonly members = new Map<string, Set<string>>();

  constructor(private readonly membership: GroupMembership) {}

  /** Joins `vip`'s group if no other VIP holds it. Throws MulticastGroupError (and then holds nothing for `vip`). */
  add(vip: string): void {
    const group = solicitedNodeAddress(vip, "vip");
    const vips = this.members.get(group);
    if (vips !== undefined) {
      vips.add(vip);
      return;
    }
    this.membership.join(group);
    this.members.set(group, new Set([vip]));
  }

  /** Leaves `vip`'s group when no other VIP holds it. Throws MulticastGroupError (the group is forgotten anyway). */
  remove(vip: string): void {
    const group = solicitedNodeAddress(vip, "vip");
    const vips = this.members.get(group);
    if (vips === undefined || !vips.delete(vip) || vips.size > 0) return;
    this.members.delete(group);
    this.membership.leave(group);
  }

  /** The groups currently joined. */
  get groups(): string[] {
    return [...this.members.keys()];
  }

  close(): void {
    this.members.clear();
    this.membership.close();
  }
}
