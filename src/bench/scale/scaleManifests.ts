// The scale benchmark's configuration: one pool for the probed VIP (in the nodes' subnet) and one for every other
// Service (198.18.64.0/18, routed on-link on the real nodes so they qualify for it); one L2Advertisement.

export const SCALE_VIP = "198.18.0.200";
export const BULK_POOL = "198.18.64.0/18";

export function scaleManifests(services: number): string {
  const bulk = Array.from({ length: Math.max(0, services - 1) }, (_, i) => `---
apiVersion: v1
kind: Service
metadata: { name: svc${i + 1}, namespace: scale }
spec: { type: LoadBalancer, externalTrafficPolicy: Cluster, ipFamilies: [IPv4], ipFamilyPolicy: SingleStack, ports: [{ port: 80, protocol: TCP }] }
`);
  return `apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: probed, namespace: metallb-system }
spec: { addresses: ["${SCALE_VIP}/32"] }
---
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: bulk, namespace: metallb-system }
spec: { addresses: ["${BULK_POOL}"] }
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: lab, namespace: metallb-system }
spec: { ipAddressPools: [probed, bulk] }
---
apiVersion: v1
kind: Service
metadata: { name: web0, namespace: default, annotations: { metallb.io/loadBalancerIPs: "${SCALE_VIP}", metallb.io/address-pool: probed } }
spec: { type: LoadBalancer, externalTrafficPolicy: Cluster, ipFamilies: [IPv4], ipFamilyPolicy: SingleStack, ports: [{ port: 80, protocol: TCP }] }
${bulk.join("")}`;
}
