#!/usr/bin/env bash
# Builds helm from its Go module (helm.sh/helm/v<major>/cmd/helm at HELM_VERSION from versions.env) and caches the
# binary per (Helm version, Go version). A second run builds nothing. The last line printed is the binary's path.
set -euo pipefail
hack=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$hack/versions.env"
cache=${TEAMOP_CACHE:-$HOME/.cache/teamop}
gover=$(GOTOOLCHAIN=local go env GOVERSION)
bin="$cache/helm/$HELM_VERSION-$gover/helm"
major=${HELM_VERSION#v}; major=${major%%.*}
module="helm.sh/helm/v$major"
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false

log() { echo "[build-helm] $*" >&2; }

if [[ -x "$bin" ]]; then
  log "cached"
else
  log "building $module/cmd/helm@$HELM_VERSION ..."
  start=$SECONDS
  mkdir -p "$(dirname "$bin")"
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  # `helm version` reports the release, as the released binaries do (Helm's Makefile sets the same variables)
  ldflags="-s -w -X $module/internal/version.version=$HELM_VERSION -X $module/internal/version.metadata="
  ldflags+=" -X $module/internal/version.gitTreeState=clean"
  GOBIN=$tmp go install -trimpath -ldflags "$ldflags" "$module/cmd/helm@$HELM_VERSION" || { log "build FAILED"; exit 1; }
  mv "$tmp/helm" "$bin"
  log "built in $((SECONDS - start)) s"
fi
echo "$bin"
