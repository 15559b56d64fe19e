// Every metallb.io CRD that vipmesh serves, and their rendering into deploy/crds/<plural>.metallb.io.yaml.
import { stringify } from "yaml";
import { bfdProfile, bgpPeer, community } from "./bgp.js";
import { bgpAdvertisement, ipAddressPool, l2Advertisement } from "./pools.js";
import type { Schema } from "./schema.js";
import { configurationState, serviceBGPStatus, serviceL2Status } from "./status.js";

export const CRDS: Schema[] = [
  ipAddressPool,
  l2Advertisement,
  bgpAdvertisement,
  bgpPeer,
  bfdProfile,
  community,
  serviceL2Status,
  serviceBGPStatus,
  configurationState,
];

const HEADER = "# Generated from src/kube/crds by `npm run build && node dist/kube/crds/write.js`: edit those, not this file.\n";

/** File name and content of each CRD manifest. */
export function renderCrds(): { file: string; text: string }[] {
  return CRDS.map((crd) => {
    const name = (crd["metadata"] as { name: string }).name;
    return { file: `${name}.yaml`, text: HEADER + stringify(crd, { lineWidth: 0, aliasDuplicateObjects: false }) };
  });
}
