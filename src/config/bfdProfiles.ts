import { z } from "zod";
import { objectNameSchema } from "./kubeNames.js";

// BFDProfile objects and the BGPPeers that name them. vipmesh's native speaker runs no BFD yet, but a profile is
// part of the configuration users bring from MetalLB, so its fields are checked and a peer naming a profile that
// does not exist (or an echo-mode profile on a multi-hop peer, which FRR refuses) is a configuration problem.

const interval = z.number().int().min(10).max(60_000);

export const bfdProfileSchema = z.object({
  kind: z.literal("BFDProfile"),
  metadata: z.object({ name: objectNameSchema, namespace: z.string().min(1).optional() }),
  spec: z
    .object({
      receiveInterval: interval.optional(),
      transmitInterval: interval.optional(),
      detectMultiplier: z.number().int().min(2).max(255).optional(),
      echoInterval: interval.optional(),
      echoMode: z.boolean().default(false),
      passiveMode: z.boolean().default(false),
      minimumTtl: z.number().int().min(1).max(254).optional(),
    })
    .default({ echoMode: false, passiveMode: false }),
});

export type BfdProfileManifest = z.infer<typeof bfdProfileSchema>;

/** A BGPPeer's `spec.bfdProfile`, read from the raw object (the peer schema has no use for it otherwise). */
export type BfdReference = { peer: string; profile: string; multiHop: boolean };

export function noteBfdReference(raw: unknown, refs: BfdReference[]): void {
  const o = raw as { metadata?: { name?: unknown }; spec?: { bfdProfile?: unknown; ebgpMultiHop?: unknown } } | null;
  const profile = o?.spec?.bfdProfile;
  const peer = o?.metadata?.name;
  if (typeof profile === "string" && profile !== "" && typeof peer === "string") refs.push({ peer, profile, multiHop: o?.spec?.ebgpMultiHop === true });
}

export function bfdReferenceProblems(refs: readonly BfdReference[], profiles: ReadonlyMap<string, BfdProfileManifest>): string[] {
  const problems: string[] = [];
  for (const r of refs) {
    const profile = profiles.get(r.profile);
    if (!profile) problems.push(`BGPPeer/${r.peer}: spec.bfdProfile: no BFDProfile "${r.profile}"`);
    else if (profile.spec.echoMode && r.multiHop) problems.push(`BGPPeer/${r.peer}: spec.bfdProfile: BFDProfile/${r.profile} has echoMode, which a multi-hop (ebgpMultiHop) session cannot use`);
  }
  return problems;
}
