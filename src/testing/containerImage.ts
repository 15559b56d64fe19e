// The container image built by scripts/build-image.sh, for tests: build or reuse it (cached by content hash under
// ~/.cache/vipmesh), and read what a container runtime takes from it (user, environment, entrypoint).
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";

/** The JSON line scripts/build-image.sh prints. */
export type BuiltImage = {
  tag: string;
  oci: string;
  rootfs: string;
  sizeMb: number;
  compressedMb: number;
  revision: string;
  cached: boolean;
};

/** What a runtime runs: the image configuration's User (numeric), Env and Entrypoint. */
export type ImageRunConfig = { uid: number; gid: number; env: string[]; entrypoint: string[] };

export class ContainerImageError extends Error {
  readonly code = "CONTAINER_IMAGE";
}

const BUILD_SCRIPT = fileURLToPath(new URL("../../scripts/build-image.sh", import.meta.url));
const TOOLS_SCRIPT = fileURLToPath(new URL("../../scripts/setup-image-tools.sh", import.meta.url));

function run(argv: string[], timeoutMs: number): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(argv[0] ?? "bash", argv.slice(1), { stdio: ["ignore", "pipe", "pipe"], timeout: timeoutMs });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (d: string) => (stdout += d));
    child.stderr.setEncoding("utf8").on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stdout, stderr }));
  });
}

const tail = (text: string): string => text.trim().split("\n").slice(-5).join(" | ");

/**
 * Why the image cannot be built on this machine (mmdebstrap and umoci cannot be installed, not root), or undefined
 * when it can. Installs the tools if they are missing.
 */
export async function imageToolsUnavailableReason(): Promise<string | undefined> {
  if (process.getuid?.() !== 0) return "building the image needs root (mmdebstrap, umoci)";
  const r = await run(["bash", TOOLS_SCRIPT], 600_000);
  return r.code === 0 ? undefined : `scripts/setup-image-tools.sh could not install mmdebstrap and umoci: ${tail(r.stderr)}`;
}

/** Builds the image, or reuses the cached build of the same content (the first build takes a few minutes). */
export async function buildImage(): Promise<BuiltImage> {
  const r = await run(["bash", BUILD_SCRIPT], 1_200_000);
  const last = r.stdout.trim().split("\n").pop() ?? "";
  if (r.code !== 0 || !last.startsWith("{")) {
    throw new ContainerImageError(`scripts/build-image.sh failed (exit ${r.code}): ${tail(r.stderr)}`);
  }
  return JSON.parse(last) as BuiltImage;
}

function blob(oci: string, digest: string): unknown {
  const [algorithm, hex] = digest.split(":");
  if (algorithm === undefined || hex === undefined) throw new ContainerImageError(`${oci}: malformed digest ${digest}`);
  return JSON.parse(readFileSync(join(oci, "blobs", algorithm, hex), "utf8"));
}

type OciIndex = { manifests: { digest: string; annotations?: Record<string, string> }[] };
type OciImageConfig = { config?: { User?: string; Env?: string[]; Entrypoint?: string[] } };

/** The run configuration of `tag` in the OCI layout `oci`, as a runtime reads it. */
export function readImageRunConfig(oci: string, tag: string): ImageRunConfig {
  const index = JSON.parse(readFileSync(join(oci, "index.json"), "utf8")) as OciIndex;
  const entry = index.manifests.find((m) => m.annotations?.["org.opencontainers.image.ref.name"] === tag);
  if (!entry) throw new ContainerImageError(`${oci}: no image tagged ${tag}`);
  const manifest = blob(oci, entry.digest) as { config: { digest: string } };
  const config = (blob(oci, manifest.config.digest) as OciImageConfig).config ?? {};
  const user = /^(\d+):(\d+)$/.exec(config.User ?? "");
  if (!user) throw new ContainerImageError(`${oci}:${tag}: User is "${config.User ?? ""}", expected numeric uid:gid`);
  if (!config.Entrypoint?.length) throw new ContainerImageError(`${oci}:${tag}: no Entrypoint`);
  return { uid: Number(user[1]), gid: Number(user[2]), env: config.Env ?? [], entrypoint: config.Entrypoint };
}
