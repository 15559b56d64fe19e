#!/usr/bin/env node
// Compiles native/afpacket.c, native/bgpsock.c and native/bfdsock.c into build/native/<name>.node with plain gcc against the installed Node headers
// (no node-gyp: it would need to download headers). Skips the compile when the output is newer than its inputs;
// `--force` rebuilds anyway. Usage: node scripts/build-native.mjs [--force]
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, renameSync, statSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const ADDONS = ["afpacket", "bgpsock", "bfdsock"];

function headerDir() {
  const besideNode = join(dirname(process.execPath), "..", "include", "node");
  const candidates = [process.env.NODE_INCLUDE_DIR, besideNode, "/usr/include/node"];
  const found = candidates.find((dir) => dir !== undefined && existsSync(join(dir, "node_api.h")));
  if (found === undefined) {
    throw new Error(`node_api.h not found in ${candidates.filter(Boolean).join(", ")}; set NODE_INCLUDE_DIR`);
  }
  return found;
}

function upToDate(source, output) {
  const inputs = [source, fileURLToPath(import.meta.url)];
  if (!existsSync(output)) return false;
  const built = statSync(output).mtimeMs;
  return inputs.every((file) => statSync(file).mtimeMs <= built);
}

function build(source, output) {
  mkdirSync(dirname(output), { recursive: true });
  const tmp = `${output}.${process.pid}.tmp`;
  const args = ["-shared", "-fPIC", "-O2", "-std=gnu11", "-Wall", "-Wextra", "-fvisibility=hidden"];
  args.push(`-I${headerDir()}`, "-o", tmp, source);
  const result = spawnSync(process.env.CC ?? "gcc", args, { stdio: "inherit" });
  if (result.error !== undefined) throw result.error;
  if (result.status !== 0) throw new Error(`gcc exited with ${result.status ?? result.signal}`);
  renameSync(tmp, output); // atomic: a concurrent loader never sees a half-written addon
}

for (const name of ADDONS) {
  const source = join(root, "native", `${name}.c`);
  const output = join(root, "build", "native", `${name}.node`);
  if (!process.argv.includes("--force") && upToDate(source, output)) {
    console.log(`${relative(root, output)} is up to date`);
  } else {
    build(source, output);
    console.log(`built ${relative(root, output)}`);
  }
}
