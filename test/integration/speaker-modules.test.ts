import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { stringify } from "yaml";

// What a process loads for one command (dist/, as the image runs it): the CLI loads only the command it runs, and
// the speaker without Kubernetes credentials never loads @kubernetes/client-node (about 70 MB of RSS by itself).
// The modules are listed by the memory benchmark's probe (src/bench/memory/probe.ts) through its loader hook.

const dist = fileURLToPath(new URL("../../dist/", import.meta.url));
const dir = mkdtempSync(join(tmpdir(), "vipmesh-modules-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Module URLs loaded by `vipmesh <args>` (a command's --help: every module its command needs, nothing run). */
function modulesOf(args: string[], env: NodeJS.ProcessEnv = {}): string[] {
  return modulesOfScript(`process.argv = [process.execPath, "vipmesh", ${args.map((a) => JSON.stringify(a)).join(", ")}];
process.exit = () => {};
await import(${JSON.stringify(join(dist, "cli/main.js"))});`, env);
}

/** Module URLs loaded by an ES module script, once it has run. */
function modulesOfScript(body: string, env: NodeJS.ProcessEnv = {}): string[] {
  const script = `${body}
await new Promise((r) => setTimeout(r, 300));
process.kill(process.pid, "SIGUSR2");
await new Promise((r) => setTimeout(r, 300));`;
  const childEnv = { ...process.env, KUBECONFIG: "", KUBERNETES_SERVICE_HOST: "", ...env, VIPMESH_MEMORY_PROBE_DIR: dir, VIPMESH_MEMORY_PROBE_HOOKS: "1" };
  execFileSync(process.execPath, ["--import", join(dist, "bench/memory/probe.js"), "--input-type=module", "-e", script], { env: childEnv, stdio: "ignore" });
  const reports = execFileSync("ls", [dir]).toString().trim().split("\n").filter((f) => f.endsWith(".json"));
  const latest = reports.map((f) => join(dir, f)).pop() ?? "";
  const modules = (JSON.parse(readFileSync(latest, "utf8")) as { modules: string[] }).modules;
  rmSync(latest);
  return modules;
}

describe("modules loaded per command", () => {
  it("a speaker without Kubernetes credentials loads neither @kubernetes/client-node nor other commands' code", () => {
    const modules = modulesOf(["speaker", "--help"]);
    expect(modules.some((m) => m.includes("/dist/cli/speakerCommand.js"))).toBe(true);
    expect(modules.filter((m) => m.includes("@kubernetes/client-node"))).toEqual([]);
    expect(modules.filter((m) => /\/dist\/cli\/(controller|allocator|lab|replay|audit|status)Command\.js$/.test(m))).toEqual([]);
  });

  it("a speaker with Kubernetes credentials (a token kubeconfig) loads its Kubernetes agents without @kubernetes/client-node", () => {
    const kubeconfig = join(dir, "kubeconfig");
    writeFileSync(kubeconfig, stringify({
      apiVersion: "v1", kind: "Config", "current-context": "ctx",
      clusters: [{ name: "c", cluster: { server: "https://198.18.0.1:6443", "certificate-authority-data": Buffer.from("CA").toString("base64") } }],
      users: [{ name: "u", user: { token: "t" } }],
      contexts: [{ name: "ctx", context: { cluster: "c", user: "u" } }],
    }));
    // What the speaker command loads once it has credentials (src/cli/speakerCommand.ts), and the credentials themselves.
    const modules = modulesOfScript(`const { kubeFromOptions } = await import(${JSON.stringify(join(dist, "cli/kubeAgents.js"))});
const kube = await kubeFromOptions({ kubeconfig: ${JSON.stringify(kubeconfig)} }, { warn() {} });
if (!kube || kube.kc.server !== "https://198.18.0.1:6443") throw new Error("no credentials");
await import(${JSON.stringify(join(dist, "agents/speaker/kubePasswordReader.js"))});
await import(${JSON.stringify(join(dist, "agents/status/nodeStatusWriter.js"))});`);
    expect(modules.some((m) => m.endsWith("/dist/agents/status/nodeStatusWriter.js"))).toBe(true);
    expect(modules.some((m) => m.endsWith("/dist/kube/informer.js"))).toBe(true);
    expect(modules.filter((m) => m.includes("@kubernetes/client-node"))).toEqual([]);
  });

  it("the help lists every command, so it loads them all", () => {
    const modules = modulesOf(["--help"]);
    for (const c of ["speaker", "controller", "lab", "replay"]) expect(modules.some((m) => m.endsWith(`/dist/cli/${c}Command.js`))).toBe(true);
  });
});
