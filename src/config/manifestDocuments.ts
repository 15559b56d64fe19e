import { parseAllDocuments } from "yaml";

// The YAML documents of a configuration file, as objects. A file that holds no object is an error, never "a
// configuration with nothing in it": an empty, all-comments or truncated file is what a half-written file looks like,
// and taking it as empty would release every IP. Removing everything takes a document that says so: a `kind: List`
// whose `items` is an explicit empty list.

export const REMOVE_EVERYTHING_HINT = "to remove every object on purpose, write one document: `apiVersion: v1`, `kind: List`, `items: []`";

export type ManifestDocuments = {
  /** One entry per document, in file order: null for an empty, unreadable or List document (problems say why). */
  objects: unknown[];
  problems: string[];
  /** The file is the explicit empty form (a List with `items: []`, no object anywhere). */
  removesEverything: boolean;
};

function isList(value: unknown): value is { kind: "List"; items?: unknown } {
  return typeof value === "object" && value !== null && (value as { kind?: unknown }).kind === "List";
}

/** Splits a multi-document YAML into its objects; a file with none is a problem unless it says "remove everything". */
export function readManifestDocuments(text: string): ManifestDocuments {
  const out: ManifestDocuments = { objects: [], problems: [], removesEverything: false };
  let emptyLists = 0;
  for (const [index, doc] of parseAllDocuments(text).entries()) {
    const value: unknown = doc.errors.length > 0 ? null : doc.toJS();
    out.objects.push(value ?? null);
    if (doc.errors.length > 0) out.problems.push(`document ${index + 1}: YAML: ${doc.errors[0]?.message ?? "unreadable"}`);
    if (!isList(value)) continue;
    out.objects[index] = null;
    if (Array.isArray(value.items) && value.items.length === 0) emptyLists++;
    else out.problems.push(`document ${index + 1} (List): items: only \`items: []\` is read (it removes everything); write objects as separate documents`);
  }
  const objects = out.objects.filter((o) => o !== null).length;
  if (objects === 0 && out.problems.length === 0) {
    if (emptyLists > 0) out.removesEverything = true;
    else out.problems.push(`the file holds no objects (empty, only comments, or truncated); ${REMOVE_EVERYTHING_HINT}`);
  }
  return out;
}
