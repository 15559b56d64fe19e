import { readFileSync, existsSync } from "node:fs";
import { networkInterfaces } from "node:os";
import type { InterfaceFact } from "../../events/types.js";
import { routesByInterface } from "./routes.js";

const IFF_NOARP = 0x80;

function sysfs(ifname: string, file: string): string | null {
  try {
    return readFileSync(`/sys/class/net/${ifname}/${file}`, "utf8").trim();
  } catch {
    return null;
  }
}

/**
 * The node's interfaces as heartbeats report them. An interface that is a bond or bridge member, or has
 * NOARP set, is reported but marked not answerable: answering there would confuse the switch.
 */
export function readInterfaceFacts(exclude: ReadonlySet<string>): InterfaceFact[] {
  const facts: InterfaceFact[] = [];
  const routes = routesByInterface();
  for (const [name, addrs] of Object.entries(networkInterfaces())) {
    if (!addrs || name === "lo") continue;
    const flags = Number.parseInt(sysfs(name, "flags") ?? "0", 16);
    const operstate = sysfs(name, "operstate");
    const isMember = existsSync(`/sys/class/net/${name}/master`);
    const mac = addrs[0]?.mac ?? "00:00:00:00:00:00";
    facts.push({
      name,
      mac,
      up: operstate === "up" || operstate === "unknown",
      addresses: addrs.filter((a) => !a.internal && a.cidr !== null).map((a) => a.cidr ?? "").sort(),
      routes: routes.get(name) ?? [],
      answerable: !exclude.has(name) && !isMember && (flags & IFF_NOARP) === 0 && mac !== "00:00:00:00:00:00",
    });
  }
  return facts.sort((a, b) => (a.name < b.name ? -1 : 1));
}
