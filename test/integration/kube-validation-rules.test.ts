import { pino } from "pino";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { credentialsFromKubeconfig } from "../../src/kube/credentials.js";
import { KubeSource, type BuiltConfig } from "../../src/kube/ingest/kubeSource.js";
import { startKubeApiServer, type KubeApiServer } from "../../src/testing/kubeApiServer.js";
import { until } from "../support/allocatorProcs.js";
import { RULE_CASES, type RuleCase } from "../support/configRuleCases.js";

// Every rule of docs/validation.md against a real kube-apiserver (with deploy/crds): a rule the API server can check
// refuses the objects at `kubectl apply`; a rule between objects lets them in, and the ingest (KubeSource, the code
// the controller runs) reports the same problem or warning, by the same object and field, as `vipmesh validate`.

const NS = "metallb-system";
const METALLB_KINDS = "ipaddresspools,l2advertisements,bgpadvertisements,bgppeers,communities,bfdprofiles";
const log = pino({ level: "silent" });
let api: KubeApiServer;

beforeAll(async () => {
  api = await startKubeApiServer();
  expect((await api.kubectl(["create", "namespace", NS])).code).toBe(0);
}, 120_000);

afterAll(async () => {
  await api?.stop();
});

async function clear(): Promise<void> {
  for (const args of [["delete", METALLB_KINDS, "--all", "-n", NS], ["delete", "services", "--all", "-n", "default"]]) {
    const r = await api.kubectl([...args, "--wait=false"]);
    expect(r.code, r.stderr).toBe(0);
  }
}

/** What the ingest builds from the objects the API server now holds, as a controller would on its first pass. */
async function ingestView(): Promise<BuiltConfig> {
  const stop = new AbortController();
  const source = new KubeSource(credentialsFromKubeconfig(api.kubeconfig), NS, () => undefined, log);
  const running = source.run(stop.signal);
  try {
    await until("every first list", () => source.synced);
    return source.build(null);
  } finally {
    stop.abort();
    await running.catch(() => undefined);
  }
}

const expected = (c: RuleCase): RegExp => new RegExp(`^${escape(`${c.object}: ${c.field}: `)}.*${escape(c.reason)}`);
const escape = (s: string): string => s.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");

describe("configuration rules: Kubernetes (kubectl apply and the ingest) agrees with vipmesh validate", () => {
  it.each(RULE_CASES.map((c): [string, RuleCase] => [c.rule, c]))("%s", async (_rule, c) => {
    await clear();
    const r = await api.kubectl(["apply", "-f", "-"], { input: c.yaml });
    if (c.kube === "apply") {
      expect(r.code, `accepted:\n${r.stdout}`).not.toBe(0);
      expect(r.stderr).toContain(c.field);
      expect(r.stderr).toContain(c.kubeMessage ?? "");
      return;
    }
    expect(r.code, r.stderr).toBe(0);
    const view = await ingestView();
    if (c.kube === "unique") {
      // The second object of the same name updates the first: Kubernetes holds one, and nothing is wrong with it.
      const [kind = "", name] = c.object.split("/");
      const held = await api.kubectl(["get", `${kind.toLowerCase()}s`, "-n", NS, "-o", "jsonpath={.items[*].metadata.name}"]);
      expect(held.stdout.split(" ").filter((n) => n === name)).toHaveLength(1);
      expect(view.problems).toEqual([]);
      return;
    }
    const found = c.severity === "error" ? view.problems : view.warnings;
    expect(found, JSON.stringify(view.problems.concat(view.warnings), null, 2)).toContainEqual(expect.stringMatching(expected(c)));
    if (c.severity === "warning") expect(view.problems).toEqual([]);
  });
});
