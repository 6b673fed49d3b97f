#!/usr/bin/env bash
# Builds the test control plane from Go modules and caches each binary per (component, version, Go version):
#   kube-apiserver, kube-controller-manager, kube-scheduler, kubectl (k8s.io/kubernetes, hack/kube),
#   etcd (go.etcd.io/etcd/server/v3, hack/etcd), kwok (sigs.k8s.io/kwok) and kwok's stage files.
# A second run builds nothing. The last line printed is the directory holding the binaries.
set -euo pipefail
hack=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=versions.env
source "$hack/versions.env"
cache=${TEAMOP_CACHE:-$HOME/.cache/teamop}
gover=$(GOTOOLCHAIN=local go env GOVERSION)
bin="$cache/controlplane/k8s-$KUBERNETES_VERSION-etcd-$ETCD_VERSION-kwok-$KWOK_VERSION-$gover/bin"
mkdir -p "$bin"
export GOTOOLCHAIN=local GOWORK=off CGO_ENABLED=0 GOFLAGS=-buildvcs=false

log() { echo "[build-controlplane] $*" >&2; }

timed_build() {  # name, then the command that writes $bin/name
  local name=$1; shift
  if [[ -x "$bin/$name" ]]; then
    log "$name: cached"
    return
  fi
  log "$name: building ..."
  local start=$SECONDS
  "$@" || { log "$name: build FAILED"; exit 1; }
  log "$name: built in $((SECONDS - start)) s"
}

minor=${KUBERNETES_VERSION#v1.}; minor=${minor%%.*}
kube_ldflags="-s -w"
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  kube_ldflags+=" -X $pkg.gitVersion=$KUBERNETES_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor"
  kube_ldflags+=" -X $pkg.gitTreeState=clean"
done

for cmd in kube-apiserver kube-controller-manager kube-scheduler kubectl; do
  timed_build "$cmd" bash -c "cd '$hack/kube' && go build -trimpath -ldflags '$kube_ldflags' -o '$bin/$cmd.tmp' k8s.io/kubernetes/cmd/$cmd && mv '$bin/$cmd.tmp' '$bin/$cmd'"
done

timed_build etcd bash -c "cd '$hack/etcd' && go build -trimpath -ldflags '-s -w' -o '$bin/etcd.tmp' go.etcd.io/etcd/server/v3 && mv '$bin/etcd.tmp' '$bin/etcd'"

timed_build kwok bash -c "tmp=\$(mktemp -d) && GOBIN=\$tmp go install -trimpath -ldflags '-s -w' sigs.k8s.io/kwok/cmd/kwok@$KWOK_VERSION && mv \$tmp/kwok '$bin/kwok' && rmdir \$tmp"

stages="$bin/../kwok-stages"
if [[ ! -d "$stages" ]]; then
  src="$(go env GOMODCACHE)/sigs.k8s.io/kwok@$KWOK_VERSION/kustomize/stage"
  [[ -d "$src" ]] || go mod download "sigs.k8s.io/kwok@$KWOK_VERSION" >/dev/null
  mkdir -p "$stages.tmp"
  for f in node/fast/node-initialize.yaml node/heartbeat/node-heartbeat.yaml pod/fast/pod-ready.yaml \
           pod/fast/pod-complete.yaml pod/fast/pod-delete.yaml; do
    cp "$src/$f" "$stages.tmp/$(basename "$f")"
  done
  chmod -R u+w "$stages.tmp"
  mv "$stages.tmp" "$stages"
  log "kwok stages: copied from sigs.k8s.io/kwok@$KWOK_VERSION"
fi

log "all binaries in $bin"
echo "$bin"
