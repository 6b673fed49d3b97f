#!/usr/bin/env bash
# Copies the CRDs of the Secrets Store CSI driver and of Traefik out of their Go modules (versions in versions.env)
# into a cache directory keyed by those versions. A second run downloads nothing. The last line printed is the
# directory; tests install its CRDs only where they need them (teamop.testing.thirdparty).
set -euo pipefail
hack=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$hack/versions.env"
cache=${TEAMOP_CACHE:-$HOME/.cache/teamop}
dir="$cache/crds/secrets-store-csi-driver-$SECRETS_STORE_CSI_DRIVER_VERSION+traefik-$TRAEFIK_VERSION"
csi_module=sigs.k8s.io/secrets-store-csi-driver
traefik_module=github.com/traefik/traefik/v3
# Neither version is served by the checksum database reachable here (its lookup answers 404), so these two modules
# only skip it; module() checks their hashes against the ones pinned in versions.env instead.
export GOTOOLCHAIN=local GOWORK=off GONOSUMDB="$csi_module,$traefik_module"

log() { echo "[build-thirdparty-crds] $*" >&2; }

# module PATH VERSION SUM: the module's directory in the module cache, downloaded if needed, its hash checked.
module() {
  local json
  json=$(cd / && go mod download -json "$1@$2") || { log "download of $1@$2 FAILED"; echo "$json" >&2; exit 1; }
  local sum dir
  sum=$(sed -n 's/^\t"Sum": "\(.*\)",$/\1/p' <<<"$json")
  dir=$(sed -n 's/^\t"Dir": "\(.*\)",$/\1/p' <<<"$json")
  if [[ "$sum" != "$3" ]]; then
    log "$1@$2 has hash '$sum', versions.env pins '$3'"
    exit 1
  fi
  echo "$dir"
}

if [[ -d "$dir" ]]; then
  log "cached"
else
  log "copying CRDs from $csi_module@$SECRETS_STORE_CSI_DRIVER_VERSION and $traefik_module@$TRAEFIK_VERSION ..."
  csi=$(module "$csi_module" "$SECRETS_STORE_CSI_DRIVER_VERSION" "$SECRETS_STORE_CSI_DRIVER_SUM")
  traefik=$(module "$traefik_module" "$TRAEFIK_VERSION" "$TRAEFIK_SUM")
  tmp=$(mktemp -d "$cache/crds.XXXXXX" 2>/dev/null || { mkdir -p "$cache" && mktemp -d "$cache/crds.XXXXXX"; })
  trap 'rm -rf "$tmp"' EXIT
  cp "$csi/deploy/secrets-store.csi.x-k8s.io_secretproviderclasses.yaml" \
     "$csi/deploy/secrets-store.csi.x-k8s.io_secretproviderclasspodstatuses.yaml" "$tmp/"
  # One file holds every traefik.io CRD (Middleware, IngressRoute, ...).
  cp "$traefik/docs/content/reference/dynamic-configuration/kubernetes-crd-definition-v1.yml" "$tmp/traefik.io.yaml"
  chmod 644 "$tmp"/*
  chmod 755 "$tmp"
  mkdir -p "$(dirname "$dir")"
  mv "$tmp" "$dir"
  trap - EXIT
  log "done"
fi
echo "$dir"
