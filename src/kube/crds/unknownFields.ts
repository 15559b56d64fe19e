import { CRDS } from "./index.js";
import type { Schema } from "./schema.js";

// Fields a metallb.io object has that its CRD does not: `kubectl apply` refuses them (strict field validation) and
// the file source ignores them, so a misspelled field (spec.adresses) would silently be left out of a file.

type Version = { name: string; storage: boolean; schema: { openAPIV3Schema: Schema } };

function versionSchema(apiVersion: unknown, kind: string): Schema | null {
  const crd = CRDS.find((c) => (c["spec"] as { names: { kind: string } }).names.kind === kind);
  if (!crd) return null;
  const versions = (crd["spec"] as { versions: Version[] }).versions;
  const wanted = typeof apiVersion === "string" && apiVersion.startsWith("metallb.io/") ? apiVersion.slice("metallb.io/".length) : null;
  const v = versions.find((x) => x.name === wanted) ?? versions.find((x) => x.storage);
  return v?.schema.openAPIV3Schema ?? null;
}

function walk(value: unknown, schema: Schema, path: string, out: string[]): void {
  if (value === null || typeof value !== "object") return;
  if (Array.isArray(value)) {
    const items = schema["items"] as Schema | undefined;
    if (items) value.forEach((v, i) => walk(v, items, `${path}[${i}]`, out));
    return;
  }
  const properties = schema["properties"] as Record<string, Schema> | undefined;
  const additional = schema["additionalProperties"] as Schema | undefined;
  if (!properties) return; // metadata, maps and free-form objects
  for (const [key, v] of Object.entries(value)) {
    const field = path ? `${path}.${key}` : key;
    const sub = properties[key] ?? additional;
    if (sub) walk(v, sub, field, out);
    else out.push(field);
  }
}

/** The fields of `raw` its metallb.io CRD does not define (empty for other kinds). */
export function unknownFields(raw: unknown): string[] {
  const o = raw as { kind?: unknown; apiVersion?: unknown } | null;
  if (typeof o?.kind !== "string") return [];
  const schema = versionSchema(o.apiVersion, o.kind);
  const out: string[] = [];
  if (schema) walk(raw, schema, "", out);
  return out;
}
