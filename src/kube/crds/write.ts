// Writes deploy/crds/*.yaml, and the Helm chart's copy in deploy/helm/vipmesh/crds, from src/kube/crds (run from
// dist/: `node dist/kube/crds/write.js`).
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderCrds } from "./index.js";

for (const target of ["deploy/crds/", "deploy/helm/vipmesh/crds/"]) {
  const dir = fileURLToPath(new URL(`../../../${target}`, import.meta.url));
  mkdirSync(dir, { recursive: true });
  for (const { file, text } of renderCrds()) {
    writeFileSync(dir + file, text);
    console.log(`wrote ${target}${file}`);
  }
}
