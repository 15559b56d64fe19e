// Writes deploy/crds/*.yaml from src/kube/crds (run from dist/: `node dist/kube/crds/write.js`).
import { mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { renderCrds } from "./index.js";

const dir = fileURLToPath(new URL("../../../deploy/crds/", import.meta.url));
mkdirSync(dir, { recursive: true });
for (const { file, text } of renderCrds()) {
  writeFileSync(dir + file, text);
  console.log(`wrote deploy/crds/${file}`);
}
