import { defineConfig } from "vitest/config";

// Three projects so each layer can run alone: unit (pure, no root), integration (real nats-server on loopback),
// lab (root: network namespaces, real ARP). Lab and integration tests run one file at a time: they share a 2-core box.
export default defineConfig({
  test: {
    projects: [
      { test: { name: "unit", include: ["test/unit/**/*.test.ts"] } },
      {
        test: {
          name: "integration",
          include: ["test/integration/**/*.test.ts"],
          testTimeout: 60_000,
          hookTimeout: 60_000,
          fileParallelism: false,
          // Agents started by tests serve no health/metrics port unless a test asks (--metrics-port): many run at once here.
          env: { VIPMESH_METRICS_PORT: "0" },
        },
      },
      {
        test: {
          name: "lab",
          include: ["test/lab/**/*.test.ts"],
          testTimeout: 180_000,
          hookTimeout: 120_000,
          fileParallelism: false,
          env: { VIPMESH_METRICS_PORT: "0" },
        },
      },
    ],
  },
});
