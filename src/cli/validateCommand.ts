import { readFile } from "node:fs/promises";
import { Command } from "commander";
import { parseAllDocuments } from "yaml";
import { configProblems, formatConfigProblem, toConfigProblem, type ConfigProblem } from "../config/configProblems.js";
import { checkManifestFiles, objectLabel, type ManifestFile } from "../config/parseManifests.js";
import { unknownFields } from "../kube/crds/unknownFields.js";
import { printable } from "./printable.js";

// `vipmesh validate`: the checks the file source runs when a speaker or allocator reads --config (which are the
// checks the Kubernetes ingest runs on the objects it reads), and the warnings, without NATS or a cluster. On top of
// those, fields the metallb.io CRDs do not define are warned about: the file source ignores them, kubectl refuses them.

export type ValidateReport = { files: string[]; valid: boolean; problems: ConfigProblem[] };
export type ValidateOptions = { files: string[]; strict: boolean; json: boolean };

const STDIN = "-";
const displayName = (file: string): string => (file === STDIN ? "(stdin)" : file);

async function readFiles(files: readonly string[], stdin: () => Promise<string>): Promise<{ read: ManifestFile[]; problems: ConfigProblem[] }> {
  const read: ManifestFile[] = [];
  const problems: ConfigProblem[] = [];
  for (const file of files) {
    try {
      read.push({ name: files.length > 1 ? displayName(file) : "", text: file === STDIN ? await stdin() : await readFile(file, "utf8") });
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const reason = e.code === "ENOENT" ? "the file does not exist" : `the file cannot be read (${e.code ?? e.message})`;
      problems.push({ severity: "error", object: displayName(file), field: "", reason });
    }
  }
  return { read, problems };
}

function unknownFieldWarnings(file: ManifestFile): ConfigProblem[] {
  return parseAllDocuments(file.text).flatMap((doc, i) => {
    if (doc.errors.length > 0) return [];
    const raw: unknown = doc.toJS();
    const kind = (raw as { kind?: unknown } | null)?.kind;
    const at = objectLabel(raw, `${file.name ? `${file.name} ` : ""}document ${i + 1}`, typeof kind === "string" ? kind : "");
    return unknownFields(raw).map((field) => toConfigProblem(`${at}: ${field}: unknown field; vipmesh ignores it and kubectl apply refuses it`, "warning"));
  });
}

/** Every file together is one configuration: one file is what `--config` reads, several are what `kubectl apply -f` would put in one cluster. */
export async function validateFiles(files: readonly string[], stdin: () => Promise<string>): Promise<ValidateReport> {
  const { read, problems } = await readFiles(files, stdin);
  if (read.length > 0) problems.push(...configProblems(checkManifestFiles(read)), ...read.flatMap(unknownFieldWarnings));
  problems.sort((a, b) => (a.severity === b.severity ? 0 : a.severity === "error" ? -1 : 1));
  return { files: [...files], valid: !problems.some((p) => p.severity === "error"), problems };
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;

export function formatReport(report: ValidateReport): string {
  const errors = report.problems.filter((p) => p.severity === "error").length;
  const summary = `${report.files.map(displayName).join(", ")}: ${report.valid ? "valid" : "invalid"} (${count(errors, "error")}, ${count(report.problems.length - errors, "warning")})`;
  return printable([...report.problems.map(formatConfigProblem), summary].join("\n"));
}

/** 1 on any error, or on any warning with --strict; else 0. */
export function exitCodeOf(report: ValidateReport, strict: boolean): number {
  return !report.valid || (strict && report.problems.length > 0) ? 1 : 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function runValidate(o: ValidateOptions, out: (text: string) => void): Promise<number> {
  const report = await validateFiles(o.files, readStdin);
  out(o.json ? JSON.stringify(report, null, 2) : formatReport(report));
  return exitCodeOf(report, o.strict);
}

export function validateCommand(): Command {
  return new Command("validate")
    .description(
      "Check a configuration as speakers and allocators read --config (and as the Kubernetes ingest checks the objects it reads): " +
        "print every error and warning with object, field and reason. Several files are checked together, as one configuration. " +
        "Exit 1 on any error (or any warning with --strict), else 0.",
    )
    .requiredOption("-f, --filename <files...>", "YAML files of MetalLB and core objects; - reads standard input")
    .option("--strict", "warnings fail too")
    .option("--json", "print {files, valid, problems: [{severity, object, field, reason}]}")
    .action(async (o: { filename: string[]; strict?: boolean; json?: boolean }) => {
      process.exitCode = await runValidate({ files: o.filename, strict: o.strict === true, json: o.json === true }, (t) => process.stdout.write(`${t}\n`));
    });
}
