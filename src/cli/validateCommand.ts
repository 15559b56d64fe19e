import { readFile } from "node:fs/promises";
import { Command } from "commander";
import { configProblems, formatConfigProblem, type ConfigProblem } from "../config/configProblems.js";
import { checkManifests } from "../config/parseManifests.js";

// `vipmesh validate`: the checks the file source runs when a speaker or allocator reads --config (which are the
// checks the Kubernetes ingest runs on the objects it reads), and the warnings, without NATS or a cluster.

export type FileReport = { file: string; problems: ConfigProblem[] };
export type ValidateOptions = { files: string[]; strict: boolean; json: boolean };

const STDIN = "-";

async function readSource(file: string, stdin: () => Promise<string>): Promise<string> {
  if (file === STDIN) return stdin();
  return readFile(file, "utf8");
}

/** Each file is checked as one configuration, as `--config` reads it. An unreadable file is an error of its own. */
export async function validateFiles(files: readonly string[], stdin: () => Promise<string>): Promise<FileReport[]> {
  const reports: FileReport[] = [];
  for (const file of files) {
    let text: string;
    try {
      text = await readSource(file, stdin);
    } catch (err) {
      const e = err as NodeJS.ErrnoException;
      const reason = e.code === "ENOENT" ? "the file does not exist" : `the file cannot be read (${e.code ?? e.message})`;
      reports.push({ file, problems: [{ severity: "error", object: file, field: "", reason }] });
      continue;
    }
    reports.push({ file, problems: configProblems(checkManifests(text)) });
  }
  return reports;
}

const count = (n: number, what: string): string => `${n} ${what}${n === 1 ? "" : "s"}`;

export function formatReports(reports: readonly FileReport[]): string {
  const lines: string[] = [];
  for (const { file, problems } of reports) {
    const name = file === STDIN ? "(stdin)" : file;
    for (const p of problems) lines.push(`${name}: ${formatConfigProblem(p)}`);
    const errors = problems.filter((p) => p.severity === "error").length;
    const summary = errors > 0 ? "invalid" : "valid";
    lines.push(`${name}: ${summary} (${count(errors, "error")}, ${count(problems.length - errors, "warning")})`);
  }
  return lines.join("\n");
}

/** 1 on any error, or on any warning with --strict; else 0. */
export function exitCodeOf(reports: readonly FileReport[], strict: boolean): number {
  const all = reports.flatMap((r) => r.problems);
  return all.some((p) => p.severity === "error" || strict) ? 1 : 0;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function runValidate(o: ValidateOptions, out: (text: string) => void): Promise<number> {
  const reports = await validateFiles(o.files, readStdin);
  out(o.json ? JSON.stringify({ files: reports }, null, 2) : formatReports(reports));
  return exitCodeOf(reports, o.strict);
}

export function validateCommand(): Command {
  return new Command("validate")
    .description(
      "Check configuration files as speakers and allocators read --config (and as the Kubernetes ingest checks the objects it reads): " +
        "print every error and warning with object, field and reason. Exit 1 on any error (or any warning with --strict), else 0. " +
        "Each file is one configuration; check objects spread over several files together with `cat a.yaml b.yaml | vipmesh validate -f -`.",
    )
    .requiredOption("-f, --filename <files...>", "YAML files of MetalLB and core objects; - reads standard input")
    .option("--strict", "warnings fail too")
    .option("--json", "print {files: [{file, problems: [{severity, object, field, reason}]}]}")
    .action(async (o: { filename: string[]; strict?: boolean; json?: boolean }) => {
      process.exitCode = await runValidate({ files: o.filename, strict: o.strict === true, json: o.json === true }, (t) => process.stdout.write(`${t}\n`));
    });
}
