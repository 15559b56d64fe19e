#!/usr/bin/env bash
# Installs what scripts/build-image.sh needs to make the container image without a container engine or a base image:
# mmdebstrap (a Debian root filesystem from the machine's Debian mirror) and umoci (an OCI image from it).
# Idempotent; run as root on Debian 12. Kept apart from scripts/setup.sh so `make demo` does not pay for it.
set -euo pipefail

PACKAGES=(mmdebstrap umoci)

log() { printf '[setup-image-tools] %s\n' "$*" >&2; }
installed() { [[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" == "install ok installed" ]]; }

missing=()
for p in "${PACKAGES[@]}"; do installed "$p" || missing+=("$p"); done
if ((${#missing[@]} == 0)); then
  log "present: ${PACKAGES[*]}"
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  log "error: missing packages (${missing[*]}); run as root"
  exit 1
fi
log "installing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2 ||
  { apt-get update -qq >&2 && apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2; }
