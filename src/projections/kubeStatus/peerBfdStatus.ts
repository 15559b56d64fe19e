import type { BfdStatusWord } from "../../events/types.js";

/** One BGP peer's BFD state as ServiceBGPStatus shows it (the speaker reads it from its backend: agents/speaker/bfdStatus.ts). */
export type PeerBfdStatus = {
  status: BfdStatusWord;
  /** The profile asks for echo mode and the session does not run it: why ("notSupported", or "multihop"). */
  echo?: string;
  /** Flap dampening suppresses the session: not trusted, the BGP session held down whatever BFD says. */
  suppressed?: true;
};
