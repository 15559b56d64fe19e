// ServiceL2Status, ServiceBGPStatus and ConfigurationState (metallb.io/v1beta1): written by vipmesh, read by users.
import { arr, bool, crd, int, obj, type Rule, type Schema, str } from "./schema.js";

// Once set, which node and Service a status object describes never changes (MetalLB: "Value is immutable"); a
// rule on the status object also catches removing the field, which a rule on the field alone would not.
const immutable = (fields: string[]): Rule[] =>
  fields.map((f) => ({
    rule: `!has(oldSelf.${f}) || (has(self.${f}) && self.${f} == oldSelf.${f})`,
    message: `${f} is immutable once set`,
    fieldPath: `.${f}`,
  }));

const owner = {
  node: str("The node announcing the Service.", { maxLength: 253 }),
  serviceName: str("The Service this status describes.", { maxLength: 253 }),
  serviceNamespace: str("The namespace of the Service.", { maxLength: 63 }),
};
const ownerColumns = (nodeTitle: string) => [
  { name: nodeTitle, type: "string", jsonPath: ".status.node" },
  { name: "Service Name", type: "string", jsonPath: ".status.serviceName" },
  { name: "Service Namespace", type: "string", jsonPath: ".status.serviceNamespace" },
];

export const serviceL2Status = crd({
  kind: "ServiceL2Status",
  plural: "servicel2statuses",
  singular: "servicel2status",
  description: "which node answers for a LoadBalancer Service in layer 2 mode, and on which interfaces.",
  versions: [
    {
      name: "v1beta1",
      storage: true,
      spec: obj("ServiceL2StatusSpec (empty).", {}),
      status: obj(
        "MetalLBServiceL2Status: the announcing node and interfaces.",
        { ...owner, interfaces: arr("Interfaces the node answers on.", obj("An interface.", { name: str("Interface name.", { maxLength: 15 }) }), { maxItems: 256 }) },
        { rules: immutable(["node", "serviceName", "serviceNamespace"]) },
      ),
      columns: ownerColumns("Allocated Node"),
    },
  ],
});

export const serviceBGPStatus = crd({
  kind: "ServiceBGPStatus",
  plural: "servicebgpstatuses",
  singular: "servicebgpstatus",
  description: "the BGP peers a node is configured to advertise a LoadBalancer Service to.",
  versions: [
    {
      name: "v1beta1",
      storage: true,
      spec: obj("ServiceBGPStatusSpec (empty).", {}),
      status: obj(
        "MetalLBServiceBGPStatus: the node and its peers for the Service (configured, whatever the session state).",
        {
          ...owner,
          peers: arr("BGPPeer names.", str("A BGPPeer name.", { maxLength: 253 }), { maxItems: 1024 }),
          bfd: arr(
            "vipmesh: the BFD session of each listed peer that names a BFDProfile, as the node sees it now.",
            obj("A peer's BFD session.", {
              peer: str("The BGPPeer name.", { maxLength: 253 }),
              status: str("Up, Down, Init, AdminDown; Error when the session could not be opened.", { enum: ["Up", "Down", "Init", "AdminDown", "Error", "Unknown"] }),
              echo: str("Set when the profile asks for echo mode and the session does not run it: notSupported, or multihop.", { maxLength: 64 }),
              suppressed: bool("vipmesh: true while flap dampening (the BFDProfile's vipmesh.io/bfd-dampening-* annotations) suppresses the session: not trusted, the BGP session held down until the penalty decays."),
            }, { required: ["peer", "status"] }),
            { maxItems: 1024 },
          ),
        },
        { rules: immutable(["node", "serviceName", "serviceNamespace"]) },
      ),
      columns: ownerColumns("Node"),
    },
  ],
});

/** metav1.Condition, as every Kubernetes API validates it. */
export const condition: Schema = obj(
  "A condition: one aspect of the object's state.",
  {
    type: str("CamelCase condition type.", { maxLength: 316, pattern: "^([a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*/)?(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])$" }),
    status: str("True, False or Unknown.", { enum: ["True", "False", "Unknown"] }),
    observedGeneration: int("The .metadata.generation the condition was set for.", { format: "int64", minimum: 0 }),
    lastTransitionTime: str("When the condition last changed status.", { format: "date-time" }),
    reason: str("CamelCase reason for the last transition.", { minLength: 1, maxLength: 1024, pattern: "^[A-Za-z]([A-Za-z0-9_,:]*[A-Za-z0-9_])?$" }),
    message: str("Human-readable details.", { maxLength: 32768 }),
  },
  { required: ["lastTransitionTime", "message", "reason", "status", "type"] },
);

export const configurationState = crd({
  kind: "ConfigurationState",
  plural: "configurationstates",
  singular: "configurationstate",
  description:
    "status-only: whether a component's configuration is valid. Labels metallb.io/component-type (controller or speaker) and metallb.io/node-name (speakers) say whose.",
  versions: [
    {
      name: "v1beta1",
      storage: true,
      status: obj("ConfigurationStateStatus: the validation result.", {
        result: str("Valid, Invalid or Unknown (not reported yet).", { enum: ["Valid", "Invalid", "Unknown"] }),
        lastError: str("The last validation error, naming object, field and reason; empty when Valid.", { maxLength: 32768 }),
        conditions: arr("Conditions from the component's reconcilers.", condition, {
          maxItems: 64,
          "x-kubernetes-list-type": "map",
          "x-kubernetes-list-map-keys": ["type"],
        }),
      }),
      columns: [
        { name: "Result", type: "string", jsonPath: ".status.result" },
        { name: "LastError", type: "string", jsonPath: ".status.lastError" },
        { name: "Age", type: "date", jsonPath: ".metadata.creationTimestamp" },
      ],
    },
  ],
});
