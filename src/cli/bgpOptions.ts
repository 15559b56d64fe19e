import { networkInterfaces } from "node:os";
import type { Command } from "commander";
import type { Logger } from "pino";
import { createBgpAnnouncer, type BgpAnnouncer } from "../agents/speaker/bgpAnnouncer.js";
import { withBgpPasswords, type PasswordReader } from "../agents/speaker/bgpPasswords.js";
import { createFrrBgpAnnouncer } from "../agents/speaker/frr/frrAnnouncer.js";
import { intOption } from "./options.js";

/** The speaker's BGP flags; sessions only open when the configuration has BGPPeers selecting this node. */
export function addBgpOptions(cmd: Command): Command {
  return cmd
    .option("--router-id <ipv4>", "BGP identifier for BGPPeers without routerID (default: the first IPv4 address of this host)")
    .option("--bgp-shutdown-wait <ms>", "on shutdown, how long routes carry GRACEFUL_SHUTDOWN before they are withdrawn", "1000")
    .option("--bgp-restart-time <s>", "graceful restart time offered to BGPPeers with enableGracefulRestart", "120")
    .option("--bgp-backend <native|frr>", "who speaks BGP: the native speaker, or FRR's bgpd and zebra run beside the speaker and driven from the same plan", "native")
    .option("--frr-dir <dir>", "with --bgp-backend frr: where FRR's configuration and vty sockets go (a new directory per process)");
}

export class BgpBackendOptionError extends Error {
  readonly code = "BAD_BGP_BACKEND";
  constructor(value: string) {
    super(`--bgp-backend: "${value}" is not a backend (native or frr)`);
    this.name = "BgpBackendOptionError";
  }
}

/** `passwords`: where this speaker reads BGPPeer passwords (the log holds only references and hashes). */
export function bgpAnnouncerFromOptions(o: Record<string, string | undefined>, log: Logger, passwords: PasswordReader | null): BgpAnnouncer {
  const inner = backendFromOptions(o, log);
  return passwords === null ? inner : withBgpPasswords(inner, passwords, log.child({ component: "bgp" }));
}

function backendFromOptions(o: Record<string, string | undefined>, log: Logger): BgpAnnouncer {
  const defaults = { routerId: o["routerId"] ?? firstIpv4() ?? "0.0.0.1", restartTimeS: intOption(o, "bgpRestartTime") };
  const shutdownWaitMs = intOption(o, "bgpShutdownWait");
  const backend = o["bgpBackend"] ?? "native";
  if (backend === "frr") {
    return createFrrBgpAnnouncer({ node: o["node"] ?? "speaker", defaults, shutdownWaitMs, log: log.child({ component: "bgp", backend: "frr" }), ...(o["frrDir"] === undefined ? {} : { frrDir: o["frrDir"] }) });
  }
  if (backend !== "native") throw new BgpBackendOptionError(backend);
  return createBgpAnnouncer({ defaults, shutdownWaitMs, log: log.child({ component: "bgp" }) });
}

function firstIpv4(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}
