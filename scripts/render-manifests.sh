#!/usr/bin/env bash
# Renders deploy/manifests from the Helm chart deploy/helm/vipmesh (never edit them by hand), and copies deploy/crds
# into the chart's crds/. test/unit/helm-chart.test.ts fails when either is stale.
#   scripts/render-manifests.sh            write deploy/manifests and the chart's crds/
#   scripts/render-manifests.sh DIR        write the manifests into DIR only (the test compares)
# The manifests are the chart with values that make them deterministic: no generated Secret (create the NATS and
# probe key Secrets yourself, docs/install.md), namespace metallb-system created and labelled.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# shellcheck source=kube-build/versions.env
source "${REPO}/scripts/kube-build/versions.env"
HELM="${HELM:-${HOME}/.cache/vipmesh/helm-${HELM_VERSION}/bin/helm}"
[ -x "$HELM" ] || { echo "render-manifests: no helm at ${HELM} (scripts/kube-build.sh builds it)" >&2; exit 1; }
CHART="${REPO}/deploy/helm/vipmesh"
OUT="${1:-${REPO}/deploy/manifests}"

if [ $# -eq 0 ]; then
  rm -f "${CHART}"/crds/*.yaml
  cp "${REPO}"/deploy/crds/*.yaml "${CHART}/crds/"
fi

# render FILE TEMPLATES...: the named templates into one file, with a header saying where it comes from.
render() {
  local file="$1"
  shift
  local only=()
  for t in "$@"; do only+=(--show-only "templates/${t}"); done
  {
    echo "# Rendered from deploy/helm/vipmesh by scripts/render-manifests.sh: do not edit. Namespace metallb-system."
    "$HELM" template vipmesh "$CHART" --namespace metallb-system \
      --set namespace.create=true --set nats.generateSecrets=false --set speaker.probeKeySecret=vipmesh-probe-key \
      "${only[@]}" | grep -v '^# Source: ' | sed -e '/^  *helm.sh\/\(chart\|hook\|hook-delete-policy\): /d' -e '/^  *app.kubernetes.io\/managed-by: /d'
  } >"${OUT}/${file}.tmp"
  mv "${OUT}/${file}.tmp" "${OUT}/${file}"
}

mkdir -p "$OUT"
rm -f "${OUT}"/*.yaml
render 00-namespace.yaml namespace.yaml
render rbac.yaml serviceaccounts.yaml rbac-speaker.yaml rbac-controller.yaml rbac-callout-keys.yaml controller-service-writes.yaml
render nats.yaml nats-config.yaml nats-services.yaml callout-keys-job.yaml nats-statefulset.yaml
render log-init.yaml log-init-job.yaml
render speaker.yaml speaker.yaml
render controller.yaml controller.yaml
