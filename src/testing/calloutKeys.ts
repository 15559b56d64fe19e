import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createAccount, createCurve } from "@nats-io/nkeys";
import type { AuthCalloutSettings } from "../events/natsAuthorization.js";

// Keys for a test server's auth callout: an account nkey that signs the users, and a curve key the requests are sealed
// for, written as the seed files `vipmesh controller` reads.

export type CalloutKeyFiles = { server: AuthCalloutSettings; issuerSeedFile: string; xkeySeedFile: string };

export function makeCalloutKeys(dir: string, encrypt = true): CalloutKeyFiles {
  const issuer = createAccount();
  const xkey = createCurve();
  const issuerSeedFile = join(dir, "callout-issuer.seed");
  const xkeySeedFile = join(dir, "callout-xkey.seed");
  writeFileSync(issuerSeedFile, `${new TextDecoder().decode(issuer.getSeed())}\n`, { mode: 0o600 });
  writeFileSync(xkeySeedFile, `${new TextDecoder().decode(xkey.getSeed())}\n`, { mode: 0o600 });
  return { server: { issuer: issuer.getPublicKey(), ...(encrypt ? { xkey: xkey.getPublicKey() } : {}) }, issuerSeedFile, xkeySeedFile };
}
