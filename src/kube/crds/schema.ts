// Small builders for CustomResourceDefinition OpenAPI schemas, so the metallb.io CRDs in deploy/crds are written once,
// here, with their CEL rules next to the fields they check. `node dist/kube/crds/write.js` renders them.

import { LABEL_KEY_PATTERN, LABEL_VALUE_PATTERN } from "../../config/kubeNames.js";

export type Schema = { [key: string]: unknown };
export type Rule = { rule: string; message: string; fieldPath?: string; reason?: string };

const withRules = (schema: Schema, rules: Rule[] | undefined): Schema =>
  rules && rules.length > 0 ? { ...schema, "x-kubernetes-validations": rules } : schema;

export function str(description: string, extra: Schema = {}, rules?: Rule[]): Schema {
  return withRules({ type: "string", description, ...extra }, rules);
}

export function int(description: string, extra: Schema = {}, rules?: Rule[]): Schema {
  return withRules({ type: "integer", description, ...extra }, rules);
}

export function bool(description: string, extra: Schema = {}, rules?: Rule[]): Schema {
  return withRules({ type: "boolean", description, ...extra }, rules);
}

export function arr(description: string, items: Schema, extra: Schema = {}, rules?: Rule[]): Schema {
  return withRules({ type: "array", description, items, ...extra }, rules);
}

export function obj(
  description: string,
  properties: Record<string, Schema>,
  opts: { required?: string[]; rules?: Rule[]; extra?: Schema } = {},
): Schema {
  const schema: Schema = { type: "object", description, properties, ...opts.extra };
  if (opts.required && opts.required.length > 0) schema["required"] = opts.required;
  return withRules(schema, opts.rules);
}

/** A string list where a repeated entry is rejected (MetalLB's "duplicate definition" checks). */
export function stringSet(description: string, item: Schema = { type: "string" }, extra: Schema = {}): Schema {
  return arr(description, item, { "x-kubernetes-list-type": "set", ...extra });
}

// Kubernetes names: one definition for the CRDs and the file source (src/config/kubeNames.ts).
export { DNS_LABEL_PATTERN } from "../../config/kubeNames.js";

const labelValue = (description: string): Schema => str(description, { maxLength: 63, pattern: LABEL_VALUE_PATTERN });

/**
 * metav1.LabelSelector, checked as LabelSelectorAsSelector would: keys and values must be label keys and values, In and
 * NotIn need values, Exists and DoesNotExist take none. `legacy` is v1beta1 BGPPeer's NodeSelector (values required).
 */
export function labelSelector(description: string, legacy = false): Schema {
  const requirement = obj(
    "A requirement: key, operator and values.",
    {
      key: str("The label key the requirement applies to.", { maxLength: 317, pattern: LABEL_KEY_PATTERN }),
      operator: str("In, NotIn, Exists or DoesNotExist.", { enum: ["In", "NotIn", "Exists", "DoesNotExist"] }),
      values: arr("Values for In and NotIn; empty for Exists and DoesNotExist.", labelValue("A label value."), {
        maxItems: 64,
        "x-kubernetes-list-type": "atomic",
        ...(legacy ? { minItems: 1 } : {}),
      }),
    },
    {
      required: legacy ? ["key", "operator", "values"] : ["key", "operator"],
      rules: [
        {
          rule: "self.operator in ['In', 'NotIn'] ? has(self.values) && size(self.values) > 0 : !has(self.values) || size(self.values) == 0",
          message: "values must be non-empty for In and NotIn, and empty for Exists and DoesNotExist",
          fieldPath: ".values",
        },
      ],
    },
  );
  return obj(
    description,
    {
      matchLabels: {
        type: "object",
        description: "Labels that must all match, as {key: value}.",
        additionalProperties: labelValue("A label value."),
        maxProperties: 64,
        "x-kubernetes-validations": [
          { rule: `self.all(k, k.matches('${LABEL_KEY_PATTERN.replaceAll("\\", "\\\\")}'))`, message: "every key must be a valid label key (an optional DNS prefix and '/', then at most 63 of [A-Za-z0-9-_.])" },
        ],
      },
      matchExpressions: arr("Requirements that must all match.", requirement, { maxItems: 64, "x-kubernetes-list-type": "atomic" }),
    },
    { extra: { "x-kubernetes-map-type": "atomic" } },
  );
}

export function selectorList(description: string, legacy = false): Schema {
  return arr(description, labelSelector("A label selector: matchLabels and matchExpressions are ANDed.", legacy), { maxItems: 64 });
}

export type PrinterColumn = { name: string; type: string; jsonPath: string; description?: string; priority?: number };

export type VersionSpec = {
  name: string;
  storage: boolean;
  deprecated?: string; // the deprecation warning
  spec?: Schema;
  status?: Schema;
  specRequired?: boolean;
  columns?: PrinterColumn[];
};

export function crdVersion(kind: string, description: string, v: VersionSpec): Schema {
  const properties: Record<string, Schema> = {
    apiVersion: str("The versioned schema of this object."),
    kind: str("The kind of this object."),
    metadata: { type: "object" },
  };
  if (v.spec) properties["spec"] = v.spec;
  if (v.status) properties["status"] = v.status;
  const version: Schema = {
    name: v.name,
    served: true,
    storage: v.storage,
    ...(v.deprecated ? { deprecated: true, deprecationWarning: v.deprecated } : {}),
    schema: { openAPIV3Schema: obj(`${kind}: ${description}`, properties, v.specRequired ? { required: ["spec"] } : {}) },
    subresources: { status: {} },
  };
  if (v.columns && v.columns.length > 0) version["additionalPrinterColumns"] = v.columns;
  return version;
}

export type CrdSpec = { kind: string; plural: string; singular: string; shortNames?: string[]; description: string; versions: VersionSpec[] };

export function crd(c: CrdSpec): Schema {
  return {
    apiVersion: "apiextensions.k8s.io/v1",
    kind: "CustomResourceDefinition",
    metadata: { name: `${c.plural}.metallb.io`, labels: { "app.kubernetes.io/part-of": "vipmesh" } },
    spec: {
      group: "metallb.io",
      names: {
        kind: c.kind,
        listKind: `${c.kind}List`,
        plural: c.plural,
        singular: c.singular,
        ...(c.shortNames ? { shortNames: c.shortNames } : {}),
        categories: ["metallb"],
      },
      scope: "Namespaced",
      versions: c.versions.map((v) => crdVersion(c.kind, c.description, v)),
      // Several versions: same JSON shape for the fields they share, so the API server only rewrites apiVersion
      // (docs/kubernetes.md, "BGPPeer v1beta1 without a conversion webhook").
      ...(c.versions.length > 1 ? { conversion: { strategy: "None" } } : {}),
    },
  };
}
