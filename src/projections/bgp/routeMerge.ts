import type { RouteAttributes } from "../../protocols/bgp/adjRibOut.js";
import { sortCommunities, sortLargeCommunities } from "../../protocols/bgp/communities.js";
import type { BgpAdvertisementConfig } from "../../config/types.js";

/** The attributes one advertisement gives its prefixes. */
export function attributesOf(ad: BgpAdvertisementConfig): RouteAttributes {
  return {
    ...(ad.communities.length > 0 ? { communities: sortCommunities(ad.communities) } : {}),
    ...(ad.largeCommunities.length > 0 ? { largeCommunities: sortLargeCommunities(ad.largeCommunities) } : {}),
    ...(ad.localPref === null ? {} : { localPref: ad.localPref }),
  };
}

/**
 * Two advertisements giving the same prefix to the same peer: communities are the union, LOCAL_PREF is the first
 * one set (advertisements are visited by name, so the result does not depend on manifest order).
 */
export function mergeAttributes(a: RouteAttributes, b: RouteAttributes): RouteAttributes {
  const communities = union(a.communities, b.communities);
  const large = union(a.largeCommunities, b.largeCommunities);
  const localPref = a.localPref ?? b.localPref;
  return {
    ...(communities.length > 0 ? { communities: sortCommunities(communities) } : {}),
    ...(large.length > 0 ? { largeCommunities: sortLargeCommunities(large) } : {}),
    ...(localPref === undefined ? {} : { localPref }),
  };
}

function union(a: readonly string[] = [], b: readonly string[] = []): string[] {
  return [...new Set([...a, ...b])];
}
