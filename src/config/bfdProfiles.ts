import { z } from "zod";
import { dampeningFromAnnotations } from "./bfdDampening.js";
import { objectNameSchema } from "./kubeNames.js";
import type { BfdDampeningConfig, BfdProfileConfig, BgpConfig } from "./types.js";

// BFDProfile objects and the BGPPeers that name them. A peer naming a profile that does not exist (or an echo-mode
// profile on a multi-hop peer, which FRR refuses) is a configuration problem. The profiles some peer names travel
// with the BGP configuration (`bgp.bfdProfiles`), so the speaker pairs a BFD session with that peer's BGP session.

const interval = z.number().int().min(10).max(60_000);

export const bfdProfileSchema = z.object({
  kind: z.literal("BFDProfile"),
  metadata: z
    .object({ name: objectNameSchema, namespace: z.string().min(1).optional(), annotations: z.record(z.string(), z.string()).default({}) })
    .superRefine((m, ctx) => {
      for (const p of dampeningFromAnnotations(m.annotations).problems) ctx.addIssue({ code: "custom", path: ["annotations", p.key], message: p.reason });
    }),
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

export function toBfdProfileConfig(m: BfdProfileManifest): BfdProfileConfig {
  const { receiveInterval, transmitInterval, detectMultiplier, echoInterval, echoMode, passiveMode, minimumTtl } = m.spec;
  const set = <K extends string>(key: K, v: number | undefined): { [k in K]?: number } => (v === undefined ? {} : ({ [key]: v } as { [k in K]: number }));
  return {
    name: m.metadata.name,
    ...set("receiveInterval", receiveInterval), ...set("transmitInterval", transmitInterval), ...set("detectMultiplier", detectMultiplier),
    ...set("echoInterval", echoInterval), echoMode, passiveMode, ...set("minimumTtl", minimumTtl),
    ...dampeningOf(m),
  };
}

function dampeningOf(m: BfdProfileManifest): { dampening?: BfdDampeningConfig } {
  const { dampening } = dampeningFromAnnotations(m.metadata.annotations);
  return dampening === undefined ? {} : { dampening };
}

/**
 * Puts in `bgp.bfdProfiles` each profile a peer names, sorted by name; absent when no peer names one, so a
 * configuration without BFD keeps its shape and hash. A profile left out for a problem serves in its last good form
 * (`kept`), as every other object does.
 */
export function attachBfdProfiles(bgp: BgpConfig, profiles: ReadonlyMap<string, BfdProfileManifest>, kept: readonly BfdProfileConfig[] = []): void {
  const names = [...new Set(bgp.peers.flatMap((p) => p.bfdProfile ?? []))].sort();
  const attached = names.flatMap((name) => {
    const m = profiles.get(name);
    return m ? [toBfdProfileConfig(m)] : kept.filter((k) => k.name === name);
  });
  if (attached.length > 0) bgp.bfdProfiles = attached;
}
