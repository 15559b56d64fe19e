/** A file configuration on loopback addresses: one pool, one L2Advertisement, one Service requesting 127.0.0.200. */
export const LOOPBACK_CONFIG = `
apiVersion: metallb.io/v1beta1
kind: IPAddressPool
metadata: { name: loopback, namespace: metallb-system }
spec: { addresses: ["127.0.0.200-127.0.0.210"] }
---
apiVersion: metallb.io/v1beta1
kind: L2Advertisement
metadata: { name: l2, namespace: metallb-system }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: default, annotations: { metallb.io/loadBalancerIPs: 127.0.0.200 } }
spec: { type: LoadBalancer }
`;
