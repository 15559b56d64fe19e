import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { natsServerPath } from "../../src/lab/paths.js";
import { makeNatsSecurityKit } from "../../src/testing/natsSecurityKit.js";

// deploy/nats/nats-server.conf as shipped, checked by the real nats-server (-t) with its certificate paths pointed at a
// throw-away PKI: TLS with client verification and a user per agent, on client connections and routes.

const dir = mkdtempSync(join(tmpdir(), "vipmesh-deploy-nats-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("deploy/nats/nats-server.conf", () => {
  it("is a configuration nats-server accepts, with TLS verifying clients and routes and a user per agent identity with its role's permissions", () => {
    const kit = makeNatsSecurityKit(join(dir, "pki"));
    const shipped = readFileSync(new URL("../../deploy/nats/nats-server.conf", import.meta.url), "utf8");
    expect(shipped.match(/verify: true/g)).toHaveLength(2);
    expect([...shipped.matchAll(/\{ user: "([\w-]+)",/g)].map((m) => m[1])).toEqual(["admin", "reader", "allocator-host1", "speaker-node1"]);
    expect(shipped).toContain('"vipmesh.ev.vip.*.node1"');
    const conf = join(dir, "nats.conf");
    writeFileSync(conf, shipped.replaceAll("/etc/nats/tls/", `${kit.dir}/`).replace("/var/lib/nats/jetstream", join(dir, "js")));
    const check = spawnSync(natsServerPath(), ["-c", conf, "-t"], { encoding: "utf8" });
    expect(`${check.stdout}${check.stderr}`).toMatch(/configuration file .* is valid/);
    expect(check.status).toBe(0);
  });
});
