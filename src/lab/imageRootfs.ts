// Agents run from the container image's unpacked root filesystem (scripts/build-image.sh) instead of this checkout,
// the way a container runtime runs them: read-only root, the image's user, environment and entrypoint, and only the
// capabilities a Pod would grant (scripts/lab/rootfs-exec.sh does the mounts and drops the privileges).
import { labScript } from "./paths.js";

export type ImageLaunch = {
  rootfs: string;
  uid: number;
  gid: number;
  env: readonly string[];
  entrypoint: readonly string[];
  /** Linux capability names without the CAP_ prefix, lower case (`net_raw`). */
  caps: readonly string[];
  /**
   * Host directories the process reads (configuration, keys, certificates), mounted read-only at the same path and
   * made readable by the image's group first, as a Pod's fsGroup makes its volumes.
   */
  binds: readonly string[];
};

/** argv that runs the image's entrypoint with `args` (run it as root, inside `ip netns exec` for a lab node). */
export function imageArgv(launch: ImageLaunch, args: readonly string[]): string[] {
  const argv = ["bash", labScript("rootfs-exec.sh"), "--rootfs", launch.rootfs, "--user", `${launch.uid}:${launch.gid}`];
  argv.push("--caps", launch.caps.join(","), "--fs-group", String(launch.gid));
  for (const dir of launch.binds) argv.push("--bind", dir);
  for (const kv of launch.env) argv.push("--env", kv);
  return [...argv, "--", ...launch.entrypoint, ...args];
}
