// The lab runs what the chart installs: the speaker's and controller's arguments and environment are read from
// `helm template` of deploy/helm/vipmesh (the DaemonSet's and Deployment's containers), and only what is lab-specific
// is put in their place: the NATS URL and the files of the lab's NATS credentials and PKI (a speaker's token or its
// node's user), the auth callout's key files, the probe key file, the node's name, the stream replicas of the lab's
// NATS and, for controllers sharing a namespace, the metrics port.
import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { parseAllDocuments } from "yaml";
import { renderChart } from "../testing/helmChart.js";

export type ChartEnvVar = { name: string; value?: string; fieldPath?: string };
export type ChartContainer = { args: string[]; env: ChartEnvVar[] };
export type ChartCommands = { speaker: ChartContainer; controller: ChartContainer };

export class ChartCommandError extends Error {
  readonly code = "CHART_COMMAND";
}

type K8sObject = { kind?: string; metadata?: { name?: string }; spec?: { template?: { spec?: { containers?: unknown[] } } } };
type RawContainer = { name?: string; args?: unknown; env?: { name: string; value?: string; valueFrom?: { fieldRef?: { fieldPath?: string } } }[] };

function container(objects: K8sObject[], kind: string, name: string, containerName: string): ChartContainer {
  const obj = objects.find((o) => o.kind === kind && o.metadata?.name === name);
  const c = (obj?.spec?.template?.spec?.containers as RawContainer[] | undefined)?.find((x) => x.name === containerName);
  if (!c) throw new ChartCommandError(`chart: no container ${containerName} in ${kind}/${name}`);
  if (!Array.isArray(c.args) || !c.args.every((a) => typeof a === "string")) throw new ChartCommandError(`chart: ${kind}/${name} container ${containerName}: args is not a list of strings`);
  const env = (c.env ?? []).map((e): ChartEnvVar => {
    const fieldPath = e.valueFrom?.fieldRef?.fieldPath;
    if (e.value !== undefined) return { name: e.name, value: e.value };
    if (fieldPath !== undefined) return { name: e.name, fieldPath };
    throw new ChartCommandError(`chart: ${kind}/${name} env ${e.name}: only value and fieldRef are understood by the lab`);
  });
  return { args: c.args, env };
}

/** The speaker's and controller's containers in rendered chart YAML. */
export function chartCommands(renderedYaml: string): ChartCommands {
  const objects = parseAllDocuments(renderedYaml).map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
  return {
    speaker: container(objects, "DaemonSet", "vipmesh-speaker", "speaker"),
    controller: container(objects, "Deployment", "vipmesh-controller", "controller"),
  };
}

const rendered = new Map<string, Promise<ChartCommands>>();
/** The chart's commands with its default values, or with `set` (helm --set k=v), each rendered once per process. */
export function defaultChartCommands(set: readonly string[] = []): Promise<ChartCommands> {
  const key = set.join("\0");
  let commands = rendered.get(key);
  if (!commands) rendered.set(key, (commands = renderChart({ set }).then(chartCommands)));
  return commands;
}

const MANIFESTS_DIR = fileURLToPath(new URL("../../deploy/manifests/", import.meta.url));
let manifestCommands: ChartCommands | undefined;
/**
 * The chart's commands as rendered into deploy/manifests (scripts/render-manifests.sh; helm-chart.test.ts fails when
 * they are stale): the chart's defaults without running helm, so the demo needs no helm build.
 */
export function renderedManifestCommands(): ChartCommands {
  manifestCommands ??= chartCommands(["speaker.yaml", "controller.yaml"].map((f) => readFileSync(MANIFESTS_DIR + f, "utf8")).join("\n---\n"));
  return manifestCommands;
}

/** The Node.js/V8 flags the chart gives a container (its NODE_OPTIONS), "" when none. */
export function chartNodeOptions(c: ChartContainer): string {
  return c.env.find((e) => e.name === "NODE_OPTIONS")?.value ?? "";
}

/** What the lab puts in place of the chart's cluster-specific settings. */
export type LabSubstitutes = {
  /** spec.nodeName (speakers). */
  node?: string;
  natsUrl: string;
  /** The lab's NATS flags for the user the chart names (user, password file, CA, client certificate and key). */
  natsArgs: (user: string) => string[];
  replicas: number;
  /** The lab's probe key flags (speakers). */
  probeKeyArgs?: string[];
  /** The metrics port, where processes share a network namespace. */
  metricsPort?: number;
  /** Lab-only flags appended (--kubeconfig, --id, …). */
  extraArgs?: string[];
  /**
   * The controller's auth callout flags with the lab's key files; without them the lab's controller serves no callout
   * (the lab's NATS then has a static user per speaker).
   */
  calloutArgs?: string[];
};

// Flags whose values are the cluster's: the lab gives its own (or none: the server name is the lab's address).
const REPLACED = new Set([
  "--nats", "--nats-user", "--nats-password-file", "--nats-token-file", "--nats-ca", "--nats-cert", "--nats-key", "--nats-tls-server-name", "--probe-key-file", "--replicas",
  "--nats-callout-issuer-seed-file", "--nats-callout-xkey-seed-file",
]);

const flagName = (arg: string): string => (arg.startsWith("--") ? arg.split("=")[0] ?? arg : "");

function expand(arg: string, env: ReadonlyMap<string, string>): string {
  return arg.replace(/\$\(([A-Za-z_][A-Za-z0-9_]*)\)/g, (whole, name: string) => env.get(name) ?? whole);
}

function labEnv(c: ChartContainer, s: LabSubstitutes): Map<string, string> {
  const env = new Map<string, string>();
  for (const e of c.env) {
    if (e.fieldPath === "spec.nodeName") {
      if (s.node === undefined) throw new ChartCommandError(`chart: env ${e.name} wants the node's name, and the lab gave none`);
      env.set(e.name, s.node);
    } else if (e.fieldPath !== undefined) throw new ChartCommandError(`chart: env ${e.name}: fieldRef ${e.fieldPath} has no lab value`);
    else if (e.name === "VIPMESH_METRICS_PORT" && s.metricsPort !== undefined) env.set(e.name, String(s.metricsPort));
    // The memory bench preloads its probe through NODE_OPTIONS (src/bench/speakerMemory.ts): keep it before the chart's flags.
    else if (e.name === "NODE_OPTIONS" && process.env["VIPMESH_MEMORY_PROBE_DIR"]) env.set(e.name, `${process.env["NODE_OPTIONS"] ?? ""} ${e.value ?? ""}`.trim());
    else env.set(e.name, e.value ?? "");
  }
  return env;
}

/** Arguments (after the CLI) and environment of a chart container in the lab; every flag the lab does not replace is kept as rendered. */
export function labCommand(c: ChartContainer, s: LabSubstitutes): { args: string[]; env: Record<string, string> } {
  const env = labEnv(c, s);
  const args = c.args.map((a) => expand(a, env));
  // A speaker of nats.auth.mode callout logs in with its token; the lab gives it its node's user (natsArgs decides how).
  const byToken = args.some((a) => flagName(a) === "--nats-token-file") && s.node !== undefined ? `speaker-${s.node}` : undefined;
  const user = args.find((a) => flagName(a) === "--nats-user")?.slice("--nats-user=".length) ?? byToken;
  if (user === undefined) throw new ChartCommandError("chart: the container has no --nats-user=<user> (nor, for a speaker, --nats-token-file)");
  if (args.some((a) => REPLACED.has(a))) throw new ChartCommandError(`chart: write replaced flags as --flag=value (${args.join(" ")})`);
  const kept = args.filter((a) => !REPLACED.has(flagName(a)));
  const lab = ["--nats", s.natsUrl, ...s.natsArgs(user), "--replicas", String(s.replicas), ...(s.probeKeyArgs ?? []), ...(s.calloutArgs ?? [])];
  return { args: [...kept, ...lab, ...(s.extraArgs ?? [])], env: Object.fromEntries(env) };
}

/** What a lab cluster knows when it starts a speaker; a launcher turns it into argv and environment. */
export type LabSpeakerStart = {
  node: string;
  natsUrl: string;
  natsArgs: (user: string) => string[];
  /** The lab's NATS flags of a speaker logging in with the token in a file (auth callout). */
  natsTokenArgs: (tokenFile: string) => string[];
  replicas: number;
  probeKeyArgs: string[];
  extraArgs: string[];
};
export type SpeakerLauncher = (s: LabSpeakerStart) => { args: string[]; env: Record<string, string> };

/**
 * Speakers started as the chart's DaemonSet runs them, with the lab's substitutes. `tokenFileOf` gives a speaker of
 * nats.auth.mode callout its Pod's token (src/lab/kubeSpeakerTokens.ts); without it such a speaker gets its node's
 * static user.
 */
export const chartSpeakerLauncher =
  (chart: ChartCommands, tokenFileOf?: (node: string) => string): SpeakerLauncher =>
  (s) => {
    const natsArgs = (user: string): string[] => (tokenFileOf && user === `speaker-${s.node}` ? s.natsTokenArgs(tokenFileOf(s.node)) : s.natsArgs(user));
    return labCommand(chart.speaker, { node: s.node, natsUrl: s.natsUrl, natsArgs, replicas: s.replicas, probeKeyArgs: s.probeKeyArgs, extraArgs: s.extraArgs });
  };
