#!/usr/bin/env bash
# Builds the vipmesh container image on this machine, without a container engine and without pulling a base image:
# a Debian 12 root filesystem made by mmdebstrap from this machine's Debian mirror, this machine's Node.js binary
# (Debian 12's nodejs is 18.x, older than the 20.19 vipmesh needs), and the app built here (TypeScript, the native
# addons, production node_modules), put together as an OCI image by umoci. Same layout as deploy/image/Containerfile.
#
# Usage (root): scripts/build-image.sh [--force]
#   --force                rebuild even when the cache holds this version and content
#   VIPMESH_CACHE_DIR      cache directory (default $HOME/.cache/vipmesh)
#   VIPMESH_IMAGE_MIRROR   an apt sources file or mirror URL for mmdebstrap (default: this machine's Debian sources)
#
# Result, cached as $VIPMESH_CACHE_DIR/image-<version>-<content hash>/ and reused while the inputs are unchanged
# (the three most recent builds are kept; older ones and unfinished builds of dead processes are removed):
#   oci/                   OCI image layout, tagged <version>  (skopeo copy oci:<oci>:<tag> docker://registry/vipmesh:<tag>)
#   bundle/config.json     the OCI runtime config umoci derives from the image (user, env, entrypoint)
#   bundle/rootfs/         the image's root filesystem, unpacked
# Progress goes to stderr; stdout is one JSON line:
#   {"tag","ref","oci","bundle","rootfs","config","sizeMb","compressedMb","revision","cached"}
#   (ref = "<oci>:<tag>"; sizeMb = unpacked root filesystem, compressedMb = the layers as stored)
set -euo pipefail

REPO_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
CACHE_DIR="${VIPMESH_CACHE_DIR:-${HOME}/.cache/vipmesh}"
SUITE="bookworm"
APP_USER_ID=65532
NODE_MIN="20.19.0"
# What the image is made of: a change to any of these makes a new content hash.
INPUTS=(package.json package-lock.json tsconfig.json bin src native scripts/build-native.mjs scripts/build-info.mjs scripts/build-image.sh deploy/image)

log() { printf '[build-image] %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

force=false
for arg in "$@"; do
  case "$arg" in
    --force) force=true ;;
    *) die "unknown argument: $arg (usage: scripts/build-image.sh [--force])" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "run as root (mmdebstrap and umoci keep the files' owners)"

default_mirror() {
  if [ -f /etc/apt/sources.list.d/debian.sources ]; then echo /etc/apt/sources.list.d/debian.sources
  elif [ -s /etc/apt/sources.list ]; then echo /etc/apt/sources.list
  else echo "http://deb.debian.org/debian"; fi
}
MIRROR="${VIPMESH_IMAGE_MIRROR:-$(default_mirror)}"

NODE_BIN="$(readlink -f "$(command -v node)")" || die "Node.js >= ${NODE_MIN} is required (not found)"
node -e "const [a,b]=process.versions.node.split('.').map(Number);process.exit(a>20||(a===20&&b>=19)?0:1)" ||
  die "Node.js >= ${NODE_MIN} is required to go into the image (have $(node --version))"

input_files() {
  cd "$REPO_DIR"
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard -- "${INPUTS[@]}" | while read -r f; do [ -f "$f" ] && echo "$f"; done | LC_ALL=C sort
  else
    find "${INPUTS[@]}" -type f | LC_ALL=C sort
  fi
}

content_hash() {
  {
    (cd "$REPO_DIR" && input_files | tr '\n' '\0' | xargs -0 sha256sum)
    echo "node $(node --version) $(sha256sum <"$NODE_BIN")"
    echo "mirror ${MIRROR} $([ -f "$MIRROR" ] && sha256sum <"$MIRROR")"
  } | sha256sum | cut -c1-12
}

VERSION="$(node -p "require('${REPO_DIR}/package.json').version")"
REVISION="$(git -C "$REPO_DIR" rev-parse HEAD 2>/dev/null || echo unknown)"
HASH="$(content_hash)"
OUT="${CACHE_DIR}/image-${VERSION}-${HASH}"

if [ -f "${OUT}/image.json" ] && ! $force; then
  log "reusing ${OUT}"
  node -e 'const r=JSON.parse(require("fs").readFileSync(process.argv[1],"utf8"));r.cached=true;console.log(JSON.stringify(r))' "${OUT}/image.json"
  exit 0
fi

bash "${REPO_DIR}/scripts/setup-image-tools.sh"

WORK="${OUT}.tmp.$$"
rm -rf "$WORK"
mkdir -p "$WORK"
trap 'rm -rf "$WORK"' EXIT

# node-gyp (raw-socket) compiles against the headers installed beside node instead of downloading them.
NODE_PREFIX="$(dirname "$(dirname "$(readlink -f "$(command -v node)")")")"
if [ -z "${npm_config_nodedir:-}" ] && [ -f "${NODE_PREFIX}/include/node/node_api.h" ]; then
  export npm_config_nodedir="$NODE_PREFIX"
fi
# 1. The app, built from a clean copy of the inputs: compile, build the addons, keep only production modules.
build_app() {
  local stage="$WORK/stage" app="$WORK/app"
  mkdir -p "$stage" "$app"
  (cd "$REPO_DIR" && input_files | tar -cf - -T -) | tar -xf - -C "$stage"
  log "npm ci, npm run build, npm prune --omit=dev (in $stage)"
  (cd "$stage" && npm ci --prefer-offline --no-audit --no-fund && npm run build && npm prune --omit=dev --no-audit --no-fund) >&2
  node "$REPO_DIR/scripts/build-info.mjs" "$stage" "$REVISION" >&2
  # Types, source maps and READMEs are never loaded at run time (about 40 MB of the modules).
  find "$stage/node_modules" -type f \( -name '*.map' -o -name '*.ts' -o -name '*.mts' -o -name '*.cts' -o -name '*.md' \) -delete
  cp -a "$stage/package.json" "$stage/bin" "$stage/dist" "$stage/node_modules" "$app/"
  mkdir -p "$app/build" && cp -a "$stage/build/native" "$app/build/"
  chmod -R u=rwX,go=rX "$app"
  mkdir -p "$WORK/usr-local-bin"
  cp "$NODE_BIN" "$WORK/usr-local-bin/node"
  ln -s /opt/vipmesh/bin/vipmesh "$WORK/usr-local-bin/vipmesh"
  chmod 0755 "$WORK/usr-local-bin/node"
}

# 2. The Debian root filesystem: the Essential set and libstdc++ (Node's one library beyond libc), no docs or
#    locales, and the unprivileged user the agents run as.
build_rootfs() {
  log "mmdebstrap ${SUITE} from ${MIRROR}"
  mmdebstrap --variant=essential --include=libstdc++6 --mode=root --format=tar \
    --dpkgopt='path-exclude=/usr/share/man/*' --dpkgopt='path-exclude=/usr/share/doc/*' \
    --dpkgopt='path-exclude=/usr/share/locale/*' --dpkgopt='path-exclude=/usr/share/info/*' \
    --customize-hook="echo 'vipmesh:x:${APP_USER_ID}:${APP_USER_ID}:vipmesh:/nonexistent:/usr/sbin/nologin' >> \"\$1/etc/passwd\"" \
    --customize-hook="echo 'vipmesh:x:${APP_USER_ID}:' >> \"\$1/etc/group\"" \
    "$SUITE" "$WORK/rootfs.tar" "$MIRROR" >&2
}

# 3. The OCI image: three layers (Debian, Node.js, vipmesh) and the configuration a runtime reads.
assemble_image() {
  local oci="$WORK/oci" ref="$WORK/oci:${VERSION}"
  umoci init --layout "$oci"
  umoci new --image "$ref"
  umoci raw add-layer --image "$ref" --history.created_by "mmdebstrap ${SUITE} essential + libstdc++6" "$WORK/rootfs.tar"
  umoci insert --image "$ref" --history.created_by "node $(node --version)" "$WORK/usr-local-bin" /usr/local/bin
  umoci insert --image "$ref" --history.created_by "vipmesh ${VERSION} (${REVISION})" "$WORK/app" /opt/vipmesh
  umoci config --image "$ref" --config.user "${APP_USER_ID}:${APP_USER_ID}" --config.entrypoint /usr/local/bin/vipmesh \
    --config.cmd --help --config.workingdir / --config.stopsignal SIGTERM \
    --config.env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --config.env NODE_ENV=production \
    --config.label org.opencontainers.image.title=vipmesh --config.label "org.opencontainers.image.version=${VERSION}" \
    --config.label "org.opencontainers.image.revision=${REVISION}" --config.label org.opencontainers.image.licenses=Apache-2.0
  umoci gc --layout "$oci"
  umoci unpack --image "$ref" "$WORK/bundle" >&2
}

# Keeps the newest KEEP_BUILDS finished builds (each is a few hundred MB) and drops leftovers of interrupted ones.
KEEP_BUILDS=3
prune_cache() {
  local dir pid
  for dir in "${CACHE_DIR}"/image-*.tmp.*; do
    [ -d "$dir" ] || continue
    pid="${dir##*.}"
    kill -0 "$pid" 2>/dev/null || rm -rf "$dir"
  done
  ls -1td "${CACHE_DIR}"/image-*/image.json 2>/dev/null | tail -n +$((KEEP_BUILDS + 1)) | while read -r stamp; do
    rm -rf "$(dirname "$stamp")"
  done
}

summary() {
  node -e '
    const fs = require("fs"), path = require("path");
    const [out, tag, revision, rootfsBytes] = process.argv.slice(1);
    const oci = path.join(out, "oci"), blob = (d) => path.join(oci, "blobs", ...d.split(":"));
    const index = JSON.parse(fs.readFileSync(path.join(oci, "index.json"), "utf8"));
    const manifest = JSON.parse(fs.readFileSync(blob(index.manifests[0].digest), "utf8"));
    const stored = manifest.layers.reduce((n, l) => n + l.size, 0);
    const mb = (n) => Math.round((n / 1e6) * 10) / 10;
    console.log(JSON.stringify({ tag, ref: `${oci}:${tag}`, oci, bundle: path.join(out, "bundle"),
      rootfs: path.join(out, "bundle", "rootfs"), config: path.join(out, "bundle", "config.json"),
      sizeMb: mb(Number(rootfsBytes)), compressedMb: mb(stored), revision, cached: false }));
  ' "$OUT" "$VERSION" "$REVISION" "$ROOTFS_BYTES"
}

build_app
build_rootfs
assemble_image
ROOTFS_BYTES="$(du -sb "$WORK/bundle/rootfs" | cut -f1)"
rm -rf "$WORK/stage" "$WORK/app" "$WORK/usr-local-bin" "$WORK/rootfs.tar"
rm -rf "$OUT"
mv "$WORK" "$OUT"
trap - EXIT
summary >"$OUT/image.json"
prune_cache
log "image ${VERSION} in ${OUT}: $(node -p "const r=require('${OUT}/image.json');r.sizeMb+' MB unpacked, '+r.compressedMb+' MB compressed'")"
cat "$OUT/image.json"
