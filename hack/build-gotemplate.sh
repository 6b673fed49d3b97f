#!/usr/bin/env bash
# Builds hack/gotemplate (Go's text/template with the functions the Posit Job Launcher gives templates) and caches
# the binary per (hash of its go.mod, go.sum and source, Go version). A second run builds nothing. The last line
# printed is the path of the binary.
set -euo pipefail
src=$(cd "$(dirname "$0")/gotemplate" && pwd)
cache=${TEAMOP_CACHE:-$HOME/.cache/teamop}
gover=$(GOTOOLCHAIN=local go env GOVERSION)
key=$(cat "$src/go.mod" "$src/go.sum" "$src"/*.go | sha256sum | cut -c1-16)
bin="$cache/gotemplate/$key-$gover/gotemplate"
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false

log() { echo "[build-gotemplate] $*" >&2; }

if [[ -x "$bin" ]]; then
  log "cached"
else
  log "building ..."
  start=$SECONDS
  mkdir -p "$(dirname "$bin")"
  (cd "$src" && go build -trimpath -ldflags '-s -w' -o "$bin.tmp" .) || { log "build FAILED"; exit 1; }
  mv "$bin.tmp" "$bin"
  log "built in $((SECONDS - start)) s"
fi
echo "$bin"
