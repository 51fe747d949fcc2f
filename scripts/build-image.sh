#!/usr/bin/env bash
# Build the Roundhouse image from the repository's Dockerfile with buildah (no
# Docker engine needed): chroot isolation, vfs storage.
#
#   scripts/build-image.sh [--base IMAGE [--runtime-base IMAGE]] [--tag TAG] [--force]
#
# The bases (the Dockerfile's ARG NODE_IMAGE for the build stages, ARG
# RUNTIME_IMAGE for the runtime stage; Node >= 20.19):
#   --base IMAGE           use IMAGE for both (--runtime-base: another runtime base);
#   else the Dockerfile's defaults (node:20-bookworm-slim) when a registry serves them;
#   else bases made from Debian trixie packages with mmdebstrap (bookworm's nodejs
#   is 18, too old): nodejs + npm for the build stages, nodejs alone for the
#   runtime; each rootfs cached under ~/.cache/roundhouse/image/ by a hash of its
#   inputs (suite, variant, package list). Delete that directory to refresh them.
#
# The image is tagged localhost/roundhouse:inputs-<hash> (hash of the Dockerfile,
# .dockerignore, manifests, tsconfigs, the sources the Dockerfile copies and the
# base) and TAG (default localhost/roundhouse:dev). When an image for the current
# inputs exists the build is skipped (--force rebuilds). Prints the image name on
# the last line of stdout; progress goes to stderr.
#
# npm inside the build uses the host's registry and CA bundle (outgoing TLS may go
# through a local authority): the bundle and an npmrc are mounted read-only into
# every RUN step.
#
# On a shared machine, pin and nice it: taskset -c 1 nice -n 10 scripts/build-image.sh
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

BASE=""
RUNTIME_BASE=""
TAG="localhost/roundhouse:dev"
FORCE=0
while [ $# -gt 0 ]; do
  case "$1" in
    --base) BASE="$2"; shift 2 ;;
    --runtime-base) RUNTIME_BASE="$2"; shift 2 ;;
    --tag) TAG="$2"; shift 2 ;;
    --force) FORCE=1; shift ;;
    -h|--help) sed -n '2,28p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "build-image: unknown argument $1 (see --help)" >&2; exit 2 ;;
  esac
done

log() { echo "build-image: $*" >&2; }
fail() { log "$*"; exit 1; }
# step NAME CMD...: run CMD, then say how long it took.
step() {
  local name="$1"; shift
  local start=$SECONDS
  log "$name ..."
  if "$@"; then
    log "$name: done in $((SECONDS - start))s"
  else
    local rc=$?
    fail "$name: FAILED (exit $rc) after $((SECONDS - start))s"
  fi
}

command -v buildah >/dev/null || fail "buildah not found: apt-get install -y buildah mmdebstrap"
# Every buildah call on the same storage; vfs works without overlay support in the kernel.
bh() { buildah --storage-driver vfs "$@"; }
image_exists() { bh inspect --type image "$1" >/dev/null 2>&1; }

CACHE="${ROUNDHOUSE_CACHE:-$HOME/.cache/roundhouse}/image"
mkdir -p "$CACHE"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# --- npm configuration for the RUN steps: the host's registry and CA bundle ---
CA_BUNDLE=/etc/ssl/certs/ca-certificates.crt
[ -r "$CA_BUNDLE" ] || fail "no CA bundle at $CA_BUNDLE (install ca-certificates)"
registry=$(npm config get registry 2>/dev/null || true)
registry=${registry:-https://registry.npmjs.org/}
printf 'registry=%s\ncafile=%s\naudit=false\nfund=false\nupdate-notifier=false\n' "$registry" "$CA_BUNDLE" >"$work/npmrc"
log "npm in the build: registry $registry, cafile $CA_BUNDLE (the host's)"

# --- the base images ---
dockerfile_arg() { sed -n "s/^ARG $1=//p" Dockerfile | head -n1; }
default_base=$(dockerfile_arg NODE_IMAGE)
default_runtime=$(dockerfile_arg RUNTIME_IMAGE)
[ -n "$default_base" ] && [ -n "$default_runtime" ] || fail "Dockerfile lacks 'ARG NODE_IMAGE=<default>' or 'ARG RUNTIME_IMAGE=<default>'"

# Bases made here from Debian packages: the build stages run npm; the runtime
# needs only node and the CA certificates (npm would add python3 and node-gyp).
DEB_SUITE=trixie
DEB_VARIANT=minbase
DEB_BUILD_INCLUDE=ca-certificates,nodejs,npm
DEB_RUNTIME_INCLUDE=ca-certificates,nodejs

# debian_base PACKAGES: make (or reuse) the base with PACKAGES; sets MADE to its name.
debian_base() {
  local include="$1" key tar image
  key=$(printf 'mmdebstrap v1\nsuite=%s\nvariant=%s\ninclude=%s\n' "$DEB_SUITE" "$DEB_VARIANT" "$include" | sha256sum | cut -c1-16)
  image="localhost/roundhouse-node-base:$DEB_SUITE-$key"
  tar="$CACHE/base-$key/rootfs.tar"
  MADE=$image
  if image_exists "$image"; then
    log "base $image exists (inputs: $DEB_SUITE $DEB_VARIANT $include); reusing it"
    return
  fi
  if [ -s "$tar" ]; then
    log "cached rootfs $tar ($(du -h "$tar" | cut -f1)); not re-running mmdebstrap"
  else
    command -v mmdebstrap >/dev/null || fail "mmdebstrap not found (needed because no registry base is reachable): apt-get install -y mmdebstrap, or pass --base IMAGE"
    mkdir -p "$(dirname "$tar")"
    step "mmdebstrap --variant=$DEB_VARIANT --include=$include $DEB_SUITE" \
      mmdebstrap --quiet --format=tar --variant="$DEB_VARIANT" --include="$include" "$DEB_SUITE" "$tar.partial"
    mv "$tar.partial" "$tar"
  fi
  rm -rf "$work/base" && mkdir -p "$work/base"
  ln "$tar" "$work/base/rootfs.tar" 2>/dev/null || cp "$tar" "$work/base/rootfs.tar"
  printf 'FROM scratch\nADD rootfs.tar /\nCMD ["/bin/bash"]\n' >"$work/base/Containerfile"
  step "import the rootfs as $image" \
    bh bud --isolation chroot --quiet -f "$work/base/Containerfile" -t "$image" "$work/base" >/dev/null
}

# have_or_pull IMAGE: in local storage, or pulled from its registry now.
have_or_pull() {
  image_exists "$1" && return 0
  local start=$SECONDS
  timeout 60 buildah --storage-driver vfs pull --quiet "$1" >/dev/null 2>"$work/pull.err" || return 1
  log "pulled $1 in $((SECONDS - start))s"
}

if [ -n "$BASE" ]; then
  RUNTIME_BASE=${RUNTIME_BASE:-$BASE}
  log "bases: $BASE (--base), runtime $RUNTIME_BASE"
elif have_or_pull "$default_base" && have_or_pull "$default_runtime"; then
  BASE=$default_base RUNTIME_BASE=$default_runtime
  log "bases: the Dockerfile's defaults, $BASE and runtime $RUNTIME_BASE, from their registry"
else
  log "bases: $default_base is not reachable ($(tail -n1 "$work/pull.err" | cut -c1-160)); making them from Debian $DEB_SUITE with mmdebstrap"
  debian_base "$DEB_BUILD_INCLUDE"; BASE=$MADE
  debian_base "$DEB_RUNTIME_INCLUDE"; RUNTIME_BASE=$MADE
  log "bases: $BASE (build stages), $RUNTIME_BASE (runtime)"
fi

# --- the image inputs, and the skip ---
# What the Dockerfile reads: itself, .dockerignore, the manifests and tsconfigs, and
# the directories it COPYs, less what .dockerignore drops (tests, node_modules, caches).
# Untracked files count (they would be in the build context); ignored ones do not.
inputs() {
  printf '%s\n' Dockerfile .dockerignore package.json package-lock.json tsconfig*.json
  local dirs
  # Sources of the COPY lines that read the context (not --from=<stage>).
  dirs=$(grep '^COPY ' Dockerfile | grep -v -e '--from=' | awk '{ for (i = 2; i < NF; i++) print $i }' \
    | grep -v -e '^package' -e '^tsconfig' | sort -u)
  # shellcheck disable=SC2086
  if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
    git ls-files -co --exclude-standard -- $dirs
  else
    find $dirs -type f
  fi | grep -v -e '\.test\.ts$' -e '/node_modules/' -e '/__pycache__/' | sort -u
}
image_id() { bh inspect --type image --format '{{.FromImageID}}' "$1" 2>/dev/null || echo "$1"; }
hash=$({ echo "base $(image_id "$BASE") runtime $(image_id "$RUNTIME_BASE")"; inputs | while read -r f; do [ -f "$f" ] && sha256sum "$f"; done; } | sha256sum | cut -c1-16)
image="localhost/roundhouse:inputs-$hash"
log "inputs: $(inputs | wc -l) files + the bases → $image"

if [ "$FORCE" = 0 ] && image_exists "$image"; then
  log "skipping the build: $image already exists for these inputs (--force rebuilds)"
else
  step "buildah bud (Dockerfile, NODE_IMAGE=$BASE RUNTIME_IMAGE=$RUNTIME_BASE)" \
    bh bud --isolation chroot --layers \
      --build-arg NODE_IMAGE="$BASE" --build-arg RUNTIME_IMAGE="$RUNTIME_BASE" \
      -v "$CA_BUNDLE:$CA_BUNDLE:ro" \
      -v "$work/npmrc:/root/.npmrc:ro" \
      -t "$image" -f Dockerfile . >&2
fi
[ "$TAG" = "$image" ] || bh tag "$image" "$TAG"
log "image: $image (also $TAG), $(bh images --format '{{.Size}}' "$image" | head -n1)"
echo "$image"
