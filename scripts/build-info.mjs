#!/usr/bin/env node
// Records the build's git commit in dist/build-info.json, which `vipmesh --version` prints and the image labels carry.
// Usage: node scripts/build-info.mjs [project dir] [revision]. Without a revision argument it asks git in the project
// dir (or $VIPMESH_REVISION); where neither knows one (a tarball), no file is written and the version stands alone.
import { spawnSync } from "node:child_process";
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";

const root = resolve(process.argv[2] ?? join(dirname(fileURLToPath(import.meta.url)), ".."));
const output = join(root, "dist", "build-info.json");

function gitRevision() {
  const head = spawnSync("git", ["-C", root, "rev-parse", "HEAD"], { encoding: "utf8" });
  if (head.status !== 0) return undefined;
  const dirty = spawnSync("git", ["-C", root, "status", "--porcelain", "--untracked-files=no"], { encoding: "utf8" });
  return `${head.stdout.trim()}${dirty.status === 0 && dirty.stdout.trim() !== "" ? "-dirty" : ""}`;
}

const given = process.argv[3] ?? process.env.VIPMESH_REVISION;
const revision = given !== undefined && given !== "" && given !== "unknown" ? given : gitRevision();
if (revision === undefined) {
  rmSync(output, { force: true });
  console.log("build-info: no git commit known; the version is printed without one");
} else {
  mkdirSync(dirname(output), { recursive: true });
  writeFileSync(output, `${JSON.stringify({ revision })}\n`);
  console.log(`build-info: ${revision}`);
}
