import { readFileSync } from "node:fs";
import { fromCurveSeed, fromSeed, type KeyPair } from "@nats-io/nkeys";
import { InvalidArgumentError, Option, type Command } from "commander";
import type { CalloutKeys } from "../kube/natsCallout/calloutClaims.js";
import type { SpeakerTokenPolicy } from "../kube/natsCallout/speakerToken.js";

// The controller's auth callout flags: with an issuer seed it answers nats-server's auth callout, logging speakers in
// by their ServiceAccount token (docs/install.md, "NATS logins").

export const DEFAULT_TOKEN_AUDIENCE = "vipmesh-nats";
export const DEFAULT_SPEAKER_SERVICE_ACCOUNT = "vipmesh-speaker";

export function addAuthCalloutOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option("--nats-callout-issuer-seed-file <file>", "account nkey seed (SA...) that signs the users the auth callout issues; serves the callout").env("VIPMESH_NATS_CALLOUT_ISSUER_SEED_FILE"))
    .addOption(new Option("--nats-callout-xkey-seed-file <file>", "curve nkey seed (SX...) when the servers encrypt callout requests (auth_callout xkey)").env("VIPMESH_NATS_CALLOUT_XKEY_SEED_FILE"))
    .addOption(new Option("--nats-callout-audience <aud>", "audience a speaker's token must be for").env("VIPMESH_NATS_CALLOUT_AUDIENCE").default(DEFAULT_TOKEN_AUDIENCE))
    .addOption(new Option("--nats-callout-service-account <name>", "ServiceAccount a speaker's token must be of").env("VIPMESH_NATS_CALLOUT_SERVICE_ACCOUNT").default(DEFAULT_SPEAKER_SERVICE_ACCOUNT))
    .addOption(new Option("--nats-callout-namespace <ns>", "namespace of that ServiceAccount (default: --namespace)").env("VIPMESH_NATS_CALLOUT_NAMESPACE"));
}

function seed(path: string, flag: string, read: (b: Uint8Array) => KeyPair, prefix: string): KeyPair {
  let kp: KeyPair;
  try {
    kp = read(new TextEncoder().encode(readFileSync(path, "utf8").trim()));
  } catch (err) {
    throw new InvalidArgumentError(`${flag}: ${path}: ${(err as NodeJS.ErrnoException).code === "ENOENT" ? "no such file" : `not an nkey seed (${(err as Error).message})`}`);
  }
  if (!kp.getPublicKey().startsWith(prefix)) throw new InvalidArgumentError(`${flag}: ${path} is the seed of a ${kp.getPublicKey()[0]}... key, not of an ${prefix}... key`);
  return kp;
}

export type AuthCalloutSettings = { keys: CalloutKeys; policy: SpeakerTokenPolicy };

/** The callout's keys and token policy, or null when no issuer seed is given (the callout is not served). */
export function authCalloutFromOptions(o: Record<string, string | undefined>, namespace: string): AuthCalloutSettings | null {
  const issuerFile = o["natsCalloutIssuerSeedFile"];
  const xkeyFile = o["natsCalloutXkeySeedFile"];
  if (!issuerFile) {
    if (xkeyFile) throw new InvalidArgumentError("--nats-callout-xkey-seed-file needs --nats-callout-issuer-seed-file");
    return null;
  }
  const issuer = seed(issuerFile, "--nats-callout-issuer-seed-file", fromSeed, "A");
  const xkey = xkeyFile ? seed(xkeyFile, "--nats-callout-xkey-seed-file", fromCurveSeed, "X") : null;
  const policy = { audience: o["natsCalloutAudience"] ?? DEFAULT_TOKEN_AUDIENCE, namespace: o["natsCalloutNamespace"] || namespace, serviceAccount: o["natsCalloutServiceAccount"] ?? DEFAULT_SPEAKER_SERVICE_ACCOUNT };
  return { keys: { issuer, xkey }, policy };
}
