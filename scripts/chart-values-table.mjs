// The values table of deploy/helm/vipmesh/README.md, generated from values.yaml: each key preceded by a
// "# -- description" comment is a row (key path, default, description). `node scripts/chart-values-table.mjs`
// rewrites the table between the README's markers; test/unit/helm-chart.test.ts fails when it is stale.
import { readFileSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

export const BEGIN = "<!-- values-table:begin (scripts/chart-values-table.mjs) -->";
export const END = "<!-- values-table:end -->";

/** Rows of documented keys: { key: "a.b", value: "<default as written>", description }. */
export function documentedValues(valuesYaml) {
  const rows = [];
  const path = [];
  let description = null;
  for (const line of valuesYaml.split("\n")) {
    const doc = /^\s*# -- (.*)$/.exec(line);
    if (doc) {
      description = doc[1];
      continue;
    }
    const key = /^(\s*)([A-Za-z0-9_]+):\s*(.*)$/.exec(line);
    if (!key) continue;
    const depth = key[1].length / 2;
    path.length = depth;
    path.push(key[2]);
    if (description !== null) rows.push({ key: path.join("."), value: key[3] || "(see values.yaml)", description });
    description = null;
  }
  return rows;
}

export function valuesTable(valuesYaml) {
  const rows = documentedValues(valuesYaml).map((r) => `| \`${r.key}\` | \`${r.value.replaceAll("|", "\\|")}\` | ${r.description} |`);
  return ["| key | default | what |", "| --- | --- | --- |", ...rows].join("\n");
}

/** The README with its table replaced by the one values.yaml gives. */
export function withTable(readme, valuesYaml) {
  const start = readme.indexOf(BEGIN);
  const end = readme.indexOf(END);
  if (start < 0 || end < start) throw new Error(`README has no ${BEGIN} ... ${END} markers`);
  return `${readme.slice(0, start + BEGIN.length)}\n${valuesTable(valuesYaml)}\n${readme.slice(end)}`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const chart = fileURLToPath(new URL("../deploy/helm/vipmesh/", import.meta.url));
  const readme = `${chart}README.md`;
  writeFileSync(readme, withTable(readFileSync(readme, "utf8"), readFileSync(`${chart}values.yaml`, "utf8")));
}
