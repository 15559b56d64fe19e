// The echo function (RFC 5880 6.4, RFC 5881 4): whether a session runs it, and why not. vipmesh does not transmit
// echo packets (that needs a packet addressed to ourselves sent through the peer's forwarding plane, over a packet
// socket), so it advertises Required Min Echo RX Interval 0 and a profile asking for echo gets a stated reason
// instead; control packets at the profile's intervals still detect the failure.

export type EchoVerdict =
  | { readonly run: false; readonly reason: "notRequested" }
  | { readonly run: false; readonly reason: "multihop"; readonly detail: string }
  | { readonly run: false; readonly reason: "notSupported"; readonly detail: string };

export function echoVerdict(profile: { readonly echoMode: boolean }, multihop: boolean): EchoVerdict {
  if (!profile.echoMode) return { run: false, reason: "notRequested" };
  if (multihop) return { run: false, reason: "multihop", detail: "RFC 5883: the echo function is not used on multihop sessions" };
  return { run: false, reason: "notSupported", detail: "echo mode is not supported by vipmesh's native BFD yet: control packets only" };
}
