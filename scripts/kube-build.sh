#!/usr/bin/env bash
# Builds the pinned test Kubernetes API (src/testing/kubeApiServer.ts) and helm (the chart's tests) with Go. Called by
# scripts/setup.sh.
# Idempotent: a build is reused while its stamp (versions, Go version, build module go.mod/go.sum, this script) holds.
#   ~/.cache/vipmesh/kube-<KUBE_VERSION>/bin/{kube-apiserver,kubectl}   from k8s.io/kubernetes (scripts/kube-build/kubernetes)
#   ~/.cache/vipmesh/etcd-<ETCD_VERSION>/bin/etcd                      from go.etcd.io/etcd/server/v3 (scripts/kube-build/etcd)
#   ~/.cache/vipmesh/helm-<HELM_VERSION>/bin/helm                      from helm.sh/helm/v4 (scripts/kube-build/helm)
# Module downloads and the Go build cache live in ~/.cache/vipmesh/go/{mod,build}, so a rebuild downloads nothing.
# The exact commands, run from each build module's directory (GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false):
#   go build -trimpath -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=v1.36.3 ..." -o BIN/ \
#     k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
#   go build -trimpath -ldflags "-s -w" -o BIN/etcd .
#   go build -trimpath -ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=v4.3.2" -o BIN/ helm.sh/helm/v4/cmd/helm
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=kube-build/versions.env
source "${HERE}/kube-build/versions.env"
CACHE="${HOME}/.cache/vipmesh"
KUBE_BIN_DIR="${CACHE}/kube-${KUBE_VERSION}/bin"
ETCD_BIN_DIR="${CACHE}/etcd-${ETCD_VERSION}/bin"
HELM_BIN_DIR="${CACHE}/helm-${HELM_VERSION}/bin"

log() { printf '[kube-build] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

GO="$(command -v go || true)"
if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
[ -n "$GO" ] || die "Go >= 1.26 is required to build kube-apiserver ${KUBE_VERSION} and etcd ${ETCD_VERSION}"

export GOMODCACHE="${CACHE}/go/mod" GOCACHE="${CACHE}/go/build" GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS=-buildvcs=false

# stamp MODULE_DIR VERSION: what a build depends on (this script included); a different stamp means build again.
stamp() { { echo "$2"; "$GO" env GOVERSION; cat "$1/go.mod" "$1/go.sum" "${BASH_SOURCE[0]}"; } | sha256sum | cut -d' ' -f1; }

# build NAME MODULE_DIR BIN_DIR VERSION LDFLAGS PACKAGES...: build into a temp dir, then move in, so a stopped build is never reused.
build() {
  local name="$1" mod="$2" bin="$3" version="$4" ldflags="$5"
  shift 5
  local want
  want="$(stamp "$mod" "$version")"
  if [ -f "${bin}/.stamp" ] && [ "$(cat "${bin}/.stamp")" = "$want" ]; then
    log "${name} ${version} at ${bin} (cached)"
    return
  fi
  log "building ${name} ${version} with $("$GO" version) (several minutes on 2 cores the first time)"
  local start=$SECONDS tmp
  mkdir -p "$(dirname "$bin")"
  tmp="$(mktemp -d "$(dirname "$bin")/.bin.XXXXXX")"
  (cd "$mod" && "$GO" build -trimpath -ldflags "$ldflags" -o "${tmp}/" "$@") || { rm -rf "$tmp"; die "building ${name} failed"; }
  echo "$want" >"${tmp}/.stamp"
  chmod 755 "$tmp"
  rm -rf "$bin"
  mv "$tmp" "$bin"
  log "built ${name} ${version} in $((SECONDS - start)) s at ${bin}"
}

kube_ldflags() {
  local v="${KUBE_VERSION#v}" flags="-s -w" pkg
  for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
    flags+=" -X ${pkg}.gitVersion=${KUBE_VERSION} -X ${pkg}.gitMajor=${v%%.*} -X ${pkg}.gitMinor=$(cut -d. -f2 <<<"$v")"
    flags+=" -X ${pkg}.gitTreeState=clean -X ${pkg}.buildDate=1970-01-01T00:00:00Z"
  done
  echo "$flags"
}

build etcd "${HERE}/kube-build/etcd" "$ETCD_BIN_DIR" "$ETCD_VERSION" "-s -w" .
build "kube-apiserver+kubectl" "${HERE}/kube-build/kubernetes" "$KUBE_BIN_DIR" "$KUBE_VERSION" "$(kube_ldflags)" \
  k8s.io/kubernetes/cmd/kube-apiserver k8s.io/kubernetes/cmd/kubectl
build helm "${HERE}/kube-build/helm" "$HELM_BIN_DIR" "$HELM_VERSION" \
  "-s -w -X helm.sh/helm/v4/internal/version.version=${HELM_VERSION}" helm.sh/helm/v4/cmd/helm

[[ "$("${ETCD_BIN_DIR}/etcd" --version 2>&1 || true)" == *"${ETCD_VERSION#v}"* ]] ||
  die "${ETCD_BIN_DIR}/etcd is not ${ETCD_VERSION}; delete ${ETCD_BIN_DIR} and run again"
[[ "$("${KUBE_BIN_DIR}/kube-apiserver" --version 2>&1 || true)" == *"${KUBE_VERSION}"* ]] ||
  die "${KUBE_BIN_DIR}/kube-apiserver is not ${KUBE_VERSION}; delete ${KUBE_BIN_DIR} and run again"
[[ "$("${HELM_BIN_DIR}/helm" version --short 2>&1 || true)" == "${HELM_VERSION}"* ]] ||
  die "${HELM_BIN_DIR}/helm is not ${HELM_VERSION}; delete ${HELM_BIN_DIR} and run again"
