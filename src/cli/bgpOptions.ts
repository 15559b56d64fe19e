import { networkInterfaces } from "node:os";
import type { Command } from "commander";
import type { Logger } from "pino";
import { createBgpAnnouncer, type BgpAnnouncer } from "../agents/speaker/bgpAnnouncer.js";
import { intOption } from "./options.js";

/** The speaker's BGP flags; sessions only open when the configuration has BGPPeers selecting this node. */
export function addBgpOptions(cmd: Command): Command {
  return cmd
    .option("--router-id <ipv4>", "BGP identifier for BGPPeers without routerID (default: the first IPv4 address of this host)")
    .option("--bgp-shutdown-wait <ms>", "on shutdown, how long routes carry GRACEFUL_SHUTDOWN before they are withdrawn", "1000")
    .option("--bgp-restart-time <s>", "graceful restart time offered to BGPPeers with enableGracefulRestart", "120");
}

export function bgpAnnouncerFromOptions(o: Record<string, string | undefined>, log: Logger): BgpAnnouncer {
  return createBgpAnnouncer({
    defaults: { routerId: o["routerId"] ?? firstIpv4() ?? "0.0.0.1", restartTimeS: intOption(o, "bgpRestartTime") },
    shutdownWaitMs: intOption(o, "bgpShutdownWait"),
    log: log.child({ component: "bgp" }),
  });
}

function firstIpv4(): string | undefined {
  for (const addrs of Object.values(networkInterfaces())) {
    for (const a of addrs ?? []) if (a.family === "IPv4" && !a.internal) return a.address;
  }
  return undefined;
}
