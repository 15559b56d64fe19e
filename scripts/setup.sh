#!/usr/bin/env bash
# vipmesh set-up for a Debian 12 machine, run as root. Idempotent: every step is skipped when already done.
#   - Debian packages used by the lab and the speakers (apt-get update only when something is missing)
#   - node_modules (npm ci) when missing or older than package-lock.json
#   - nats-server built from source with Go into ~/.cache/vipmesh/nats-server-<version>/bin (in the background while
#     npm ci and the build run)
#   - kube-apiserver, kubectl, etcd and helm for the integration tests, built with Go by scripts/kube-build.sh into
#     ~/.cache/vipmesh/{kube,etcd,helm}-<version>/bin (versions in scripts/kube-build/versions.env; ~11 min the first time)
#   - npm run build
# Usage: scripts/setup.sh [--demo]
#   --demo: only what `make demo` uses (the lab's network tools, npm modules, nats-server, the build): no routers, no
#           browser, no Kubernetes API or helm build. `make test` runs it without --demo and gets everything.
set -euo pipefail

NATS_VERSION="v2.15.2" # keep in step with NATS_SERVER_VERSION in src/lab/paths.ts
NODE_MIN="20.19.0"
APT_PACKAGES=(frr frr-pythontools bird2 gobgpd nats-server iproute2 nftables arping ndisc6 tcpdump openssl chromium)
# The demo's lab (namespaces, nftables DNAT, arping, the capture, the NATS PKI) needs only these.
DEMO_APT_PACKAGES=(iproute2 nftables arping tcpdump openssl)
# chromium: headless, opens the replay's HTML timeline in its test (never downloaded by npm).
# Needed to build native addons (raw-socket, native/) during npm ci / npm run build.
BUILD_PACKAGES=(build-essential python3 ca-certificates)

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NATS_BIN_DIR="${HOME}/.cache/vipmesh/nats-server-${NATS_VERSION}/bin"

log() { printf '[setup] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]; }

PROFILE=all
case "${1:-}" in
  --demo) PROFILE=demo; APT_PACKAGES=("${DEMO_APT_PACKAGES[@]}") ;;
  "") ;;
  *) die "unknown argument: $1 (usage: scripts/setup.sh [--demo])" ;;
esac

# 1. Debian packages.
missing=()
for p in "${APT_PACKAGES[@]}" "${BUILD_PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]} > 0)); then
  [ "$(id -u)" -eq 0 ] || die "missing packages (${missing[*]}); run this script as root"
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}"
else
  log "Debian packages present"
fi

# 2. nats-server, pinned, built with Go (Debian's nats-server package is too old for the features used). On a fresh
#    machine this takes longest, so it builds in the background while npm ci and the build run; waited for in 5.
NATS_BUILD_LOG="${NATS_BIN_DIR%/bin}/build.log"
nats_build_pid=""
if [ ! -x "${NATS_BIN_DIR}/nats-server" ]; then
  GO="$(command -v go || true)"
  if [ -z "$GO" ] && [ -x /usr/local/go/bin/go ]; then GO=/usr/local/go/bin/go; fi
  [ -n "$GO" ] || die "Go is required to build nats-server ${NATS_VERSION} (not found in PATH or /usr/local/go/bin)"
  log "building nats-server ${NATS_VERSION} with $("$GO" version) in the background (log: ${NATS_BUILD_LOG})"
  mkdir -p "$NATS_BIN_DIR"
  GOBIN="$NATS_BIN_DIR" CGO_ENABLED=0 "$GO" install "github.com/nats-io/nats-server/v2@${NATS_VERSION}" >"$NATS_BUILD_LOG" 2>&1 &
  nats_build_pid=$!
fi

# 3. Node.js and node_modules.
command -v node >/dev/null || die "Node.js >= ${NODE_MIN} is required (not found)"
node -e "const [a,b,c]=process.versions.node.split('.').map(Number),[x,y,z]='${NODE_MIN}'.split('.').map(Number);
  process.exit(a!==x?(a>x?0:1):b!==y?(b>y?0:1):(c>=z?0:1))" || die "Node.js >= ${NODE_MIN} is required (have $(node --version))"
# node-gyp (raw-socket) compiles against the headers installed beside node instead of downloading them.
NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [ -z "${npm_config_nodedir:-}" ] && [ -f "${NODE_PREFIX}/include/node/node_api.h" ]; then
  export npm_config_nodedir="$NODE_PREFIX"
fi
cd "$REPO_DIR"
if [ ! -d node_modules ] || { [ -f package-lock.json ] && [ package-lock.json -nt node_modules/.package-lock.json ]; }; then
  if [ -f package-lock.json ]; then
    log "npm ci"
    npm ci
  else
    log "npm install (no package-lock.json)"
    npm install
  fi
else
  log "node_modules up to date"
fi

# 4. Build.
log "npm run build"
npm run build

# 5. nats-server, from step 2.
if [ -n "$nats_build_pid" ]; then
  wait "$nats_build_pid" || { cat "$NATS_BUILD_LOG" >&2; die "building nats-server ${NATS_VERSION} failed (log above)"; }
fi
[[ "$("${NATS_BIN_DIR}/nats-server" --version 2>&1 || true)" == *"${NATS_VERSION}"* ]] ||
  die "${NATS_BIN_DIR}/nats-server is not ${NATS_VERSION}; delete it and run again"
log "nats-server ${NATS_VERSION} at ${NATS_BIN_DIR}/nats-server"

# 6. The test Kubernetes API (kube-apiserver, kubectl, etcd) and helm, pinned, built with Go; reused while unchanged.
if [ "$PROFILE" = all ]; then
  bash "${REPO_DIR}/scripts/kube-build.sh"
else
  log "kube-apiserver, etcd and helm not built (the demo does not use them; make test builds them)"
fi
