import type { InterfaceFact } from "../../events/types.js";
import { parseCidr, rangeContains } from "../../net/cidr.js";
import { parseIp, type Family, type ParsedIp } from "../../net/ip.js";

// The next hop for the other address family on a dual-stack session (BGPPeer dualStackAddressFamily): an IPv4
// session has no IPv6 local address to offer, so the IPv6 routes carry the node's own IPv6 address, and the reverse.
// Like FRR under MetalLB, the address comes from the interface that reaches the peer: the one holding the BGPPeer's
// sourceAddress, else the one on the peer's subnet, else the one whose routes cover the peer (longest prefix);
// failing those, any other up interface in name order. Link-local and loopback addresses never qualify.

export type OtherFamilyNextHop =
  | { readonly family: Family; readonly address: string; readonly interface: string }
  | { readonly family: Family; readonly problem: string };

export function otherFamilyNextHop(
  node: string,
  peer: { readonly peerAddress: string; readonly sourceAddress: string | null },
  interfaces: readonly InterfaceFact[],
): OtherFamilyNextHop {
  const peerIp = parseIp(peer.peerAddress);
  const family: Family = peerIp.family === 4 ? 6 : 4;
  const up = interfaces.filter((i) => i.up);
  for (const i of rankByReach(up, peerIp, peer.sourceAddress)) {
    const address = i.addresses.map(addressOf).find((a) => a !== undefined && a.family === family && usableNextHop(a));
    if (address) return { family, address: address.text, interface: i.name };
  }
  const name = family === 6 ? "IPv6" : "IPv4";
  return { family, problem: `node ${node} has no global ${name} address on an up interface to use as the ${name} next hop` };
}

type Address = ParsedIp & { text: string; subnet: ReturnType<typeof parseCidr> };

function addressOf(cidr: string): Address | undefined {
  try {
    const [text = ""] = cidr.split("/");
    return { ...parseIp(text), text, subnet: parseCidr(cidr) };
  } catch {
    return undefined;
  }
}

/** Not link-local (fe80::/10, 169.254/16), loopback, unspecified or multicast. */
function usableNextHop(a: ParsedIp): boolean {
  if (a.family === 6) {
    const top16 = Number(a.value >> 112n);
    return a.value > 1n && (top16 & 0xffc0) !== 0xfe80 && (top16 & 0xff00) !== 0xff00;
  }
  const first = Number(a.value >> 24n);
  const second = Number((a.value >> 16n) & 0xffn);
  return first !== 0 && first !== 127 && first < 224 && !(first === 169 && second === 254);
}

/** Interfaces best placed to reach the peer first: source address, on-link, longest covering route, then the rest. */
function rankByReach(interfaces: readonly InterfaceFact[], peer: ParsedIp, sourceAddress: string | null): InterfaceFact[] {
  const score = (i: InterfaceFact): number => {
    const addresses = i.addresses.map(addressOf);
    if (sourceAddress !== null && addresses.some((a) => a?.text === sourceAddress)) return 1_000;
    if (addresses.some((a) => a !== undefined && rangeContains(a.subnet, peer))) return 500;
    const routes = i.routes.flatMap((r) => {
      const c = addressOf(r)?.subnet;
      return c && rangeContains(c, peer) ? [c.prefix] : [];
    });
    return routes.length === 0 ? 0 : 1 + Math.max(...routes);
  };
  return [...interfaces].sort((a, b) => score(b) - score(a) || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
