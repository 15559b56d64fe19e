import { canonicalCommunity, largeCommunityToNumbers } from "../protocols/bgp/communities.js";
import type { CommunityManifest } from "./bgpSchemas.js";

// BGPAdvertisement.spec.communities: "65535:65282", "large:123:456:789", or the name of an alias from a Community
// object (whose value is one of the first two). A value with a ':' is never an alias.

export type ResolvedCommunities = { communities: string[]; largeCommunities: string[] };

/** Alias name -> value, from every Community object; a name defined twice is a problem. */
export function communityAliases(objects: readonly CommunityManifest[], problems: string[]): Map<string, string> {
  const aliases = new Map<string, string>();
  for (const obj of objects) {
    obj.spec.communities.forEach((c, i) => {
      const where = `Community/${obj.metadata.name}: spec.communities[${i}]`;
      if (aliases.has(c.name)) problems.push(`${where}.name: alias "${c.name}" defined more than once`);
      else if (classify(c.value) === null) problems.push(`${where}.value: "${c.value}" is not a community like 65535:65282 or large:123:456:789`);
      else aliases.set(c.name, c.value);
    });
  }
  return aliases;
}

/** Resolves the list; each bad entry adds a problem naming `where[i]`. */
export function resolveCommunities(list: readonly string[], aliases: ReadonlyMap<string, string>, where: string, problems: string[]): ResolvedCommunities {
  const out: ResolvedCommunities = { communities: [], largeCommunities: [] };
  list.forEach((text, i) => {
    const value = text.includes(":") ? text : aliases.get(text);
    if (value === undefined) return problems.push(`${where}[${i}]: "${text}" is neither a community nor a Community alias`);
    const c = classify(value);
    if (c === null) return problems.push(`${where}[${i}]: "${text}" is not a community like 65535:65282 or large:123:456:789`);
    const target = c.large ? out.largeCommunities : out.communities;
    if (!target.includes(c.text)) target.push(c.text);
    return undefined;
  });
  return out;
}

function classify(value: string): { large: boolean; text: string } | null {
  try {
    if (value.startsWith("large:")) {
      const text = value.slice("large:".length);
      return { large: true, text: largeCommunityToNumbers(text).join(":") };
    }
    if (value.split(":").length !== 2) return null;
    return { large: false, text: canonicalCommunity(value) };
  } catch {
    return null;
  }
}
