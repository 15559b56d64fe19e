import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pino } from "pino";
import { imageArgv, type ImageLaunch } from "../../src/lab/imageRootfs.js";
import { L2Cluster } from "../../src/lab/l2Cluster.js";
import { labUnavailableReason } from "../../src/lab/lab.js";
import { buildImage, imageToolsUnavailableReason, readImageRunConfig, type BuiltImage } from "../../src/testing/containerImage.js";
import { VERSION } from "../../src/cli/version.js";
import { auditThenDestroy } from "../support/labAudit.js";

// The image scripts/build-image.sh builds (cached by content under ~/.cache/vipmesh; the first build takes minutes),
// run from its unpacked root filesystem as a runtime would: read-only root, the image's user, environment and
// entrypoint. The speaker runs as a Kubernetes runtime runs the DaemonSet's container: uid 0 (runAsUser: 0: Kubernetes
// cannot give capabilities to another uid) with CAP_NET_RAW and CAP_NET_ADMIN as its only capabilities.

const VIP = "198.18.0.201";
const SPEAKER_CAPS = ["net_raw", "net_admin"];
const CAP_NET_ADMIN_AND_RAW = "0000000000003000"; // bits 12 and 13
const unavailable = labUnavailableReason() ?? (await imageToolsUnavailableReason());

function runFromImage(launch: ImageLaunch, args: string[]): { code: number | null; stdout: string; stderr: string } {
  const argv = imageArgv(launch, args);
  const r = spawnSync(argv[0] ?? "bash", argv.slice(1), { encoding: "utf8", timeout: 30_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function procStatus(pid: number, field: string): string | undefined {
  const line = readFileSync(`/proc/${pid}/status`, "utf8").split("\n").find((l) => l.startsWith(`${field}:`));
  return line?.slice(field.length + 1).trim();
}

describe.skipIf(unavailable !== undefined)(`container image${unavailable ? ` (skipped: ${unavailable})` : ""}`, () => {
  let image: BuiltImage;
  let launch: Omit<ImageLaunch, "binds" | "caps">;

  beforeAll(async () => {
    image = await buildImage();
    launch = { rootfs: image.rootfs, ...readImageRunConfig(image.oci, image.tag) };
  }, 1_200_000);

  it("runs vipmesh --version as its non-root user with the image's environment only", () => {
    expect(launch.uid).not.toBe(0);
    const r = runFromImage({ ...launch, caps: [], binds: [] }, ["--version"]);
    expect(r.stderr).toBe(""); // nothing from the host's environment (NODE_EXTRA_CA_CERTS, …) leaks in
    expect(r.code).toBe(0);
    expect(r.stdout.trim()).toBe(`${VERSION} (commit ${image.revision})`);
  });

  it("is a read-only root filesystem for its user, which has no capability (the controller's and allocator's lot)", () => {
    const script = "id -u; id -g; grep CapEff /proc/self/status; touch /opt/vipmesh/x /etc/x /x 2>&1; touch /tmp/x && echo tmp-ok";
    const r = runFromImage({ ...launch, entrypoint: ["/bin/sh", "-c"], caps: [], binds: [] }, [script]);
    const lines = r.stdout.trim().split("\n");
    expect(lines.slice(0, 2)).toEqual([String(launch.uid), String(launch.gid)]);
    expect(lines[2]).toBe("CapEff:\t0000000000000000");
    expect(lines.filter((l) => l.includes("Read-only file system"))).toHaveLength(3);
    expect(lines.at(-1)).toBe("tmp-ok");
  });

  describe("a speaker from the image in the lab", () => {
    let cluster: L2Cluster;

    beforeAll(async () => {
      cluster = await L2Cluster.start({
        nodes: 1,
        vips: [VIP],
        log: pino({ level: "warn" }),
        speakerImage: { ...launch, uid: 0, gid: 0, caps: SPEAKER_CAPS },
      });
    });

    afterAll(async () => {
      await auditThenDestroy(cluster, () => cluster.destroy());
    });

    it("answers ARP for its VIP, from the read-only image with CAP_NET_RAW and CAP_NET_ADMIN only", async () => {
      expect(await cluster.waitForOwner(VIP, 60_000)).toBe(1);
      const speaker = cluster.speakers.get(1);
      expect(speaker?.running).toBe(true);
      const pid = speaker?.pid ?? -1;
      expect(readFileSync(`/proc/${pid}/cmdline`, "utf8").split("\0")).toContain(launch.entrypoint[0]);
      expect(procStatus(pid, "Uid")?.split(/\s+/)).toEqual(["0", "0", "0", "0"]);
      expect(procStatus(pid, "CapEff")).toBe(CAP_NET_ADMIN_AND_RAW);
      expect(procStatus(pid, "CapPrm")).toBe(CAP_NET_ADMIN_AND_RAW);
      expect(procStatus(pid, "CapBnd")).toBe(CAP_NET_ADMIN_AND_RAW);
      expect(procStatus(pid, "NoNewPrivs")).toBe("1");
    });
  });
});
