// The responder's hot path on raw bytes. Under a request flood nearly every frame is an ordinary request for one of
// our VIPs; this answers exactly those without decoding to objects and strings, and hands everything else (conflicts,
// gratuitous ARP, probes, anything odd) to the full decision. A property test pins it to decideArp: whenever this
// returns a reply, decideArp returns the same one.

const ARP_FRAME_BYTES = 42;

/** Frame header bytes 12..21 of an Ethernet/IPv4 ARP request: ethertype, htype, ptype, hlen, plen, op. */
const REQUEST_HEADER = [0x08, 0x06, 0x00, 0x01, 0x08, 0x00, 0x06, 0x04, 0x00, 0x01] as const;

function isGroup(bytes: Uint8Array, at: number): boolean {
  return ((bytes[at] ?? 0) & 1) === 1;
}

function equals(bytes: Uint8Array, at: number, mac: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (bytes[at + i] !== mac[i]) return false;
  return true;
}

function isBroadcast(bytes: Uint8Array, at: number): boolean {
  for (let i = 0; i < 6; i++) if (bytes[at + i] !== 0xff) return false;
  return true;
}

function ipv4At(bytes: Uint8Array, at: number): string {
  return `${bytes[at] ?? 0}.${bytes[at + 1] ?? 0}.${bytes[at + 2] ?? 0}.${bytes[at + 3] ?? 0}`;
}

export type FastReplyContext = {
  /** The interface MAC as 6 bytes. */
  mac: Uint8Array;
  answers: (ipv4: string) => boolean;
  /** Addresses configured on the interface: the kernel answers for those. */
  kernelAddresses: () => readonly string[];
};

/** The reply to `frame`, or null when the frame is not the common case and needs the full decision. */
export function fastArpReply(frame: Uint8Array, ctx: FastReplyContext): Uint8Array | null {
  if (frame.length < ARP_FRAME_BYTES) return null;
  for (let i = 0; i < REQUEST_HEADER.length; i++) if (frame[12 + i] !== REQUEST_HEADER[i]) return null;
  if (isGroup(frame, 6) || isGroup(frame, 22) || equals(frame, 6, ctx.mac) || equals(frame, 22, ctx.mac)) return null;
  if (!isBroadcast(frame, 0) && !equals(frame, 0, ctx.mac)) return null;
  const senderIp = ipv4At(frame, 28);
  const targetIp = ipv4At(frame, 38);
  if (senderIp === targetIp || senderIp === "0.0.0.0" || ctx.answers(senderIp)) return null;
  if (!ctx.answers(targetIp) || ctx.kernelAddresses().includes(targetIp)) return null;
  const reply = new Uint8Array(ARP_FRAME_BYTES);
  reply.set(frame.subarray(22, 28), 0); // to the requester's ARP sender MAC
  reply.set(ctx.mac, 6);
  reply.set(frame.subarray(12, 20), 12); // ethertype, htype, ptype, hlen, plen
  reply[21] = 2;
  reply.set(ctx.mac, 22);
  reply.set(frame.subarray(38, 42), 28); // we speak for the requested address
  reply.set(frame.subarray(22, 28), 32);
  reply.set(frame.subarray(28, 32), 38);
  return reply;
}
