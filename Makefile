# The README names these targets. `make test` is what CI runs (.ci/run).
PYTHON ?= python3

.PHONY: install controlplane gotemplate helm thirdparty-crds lint typecheck unit test dev crds clean

install:  ## the package with its development extras, editable
	$(PYTHON) -m pip install -e '.[dev]'

controlplane:  ## build (or reuse from ~/.cache/teamop) kube-apiserver, etcd, kwok, ... from Go modules
	bash hack/build-controlplane.sh

gotemplate:  ## build (or reuse from ~/.cache/teamop) the Go template runner the launcher-template tests execute
	bash hack/build-gotemplate.sh

helm:  ## build (or reuse from ~/.cache/teamop) helm from Go modules, for the chart tests (charts/teamop)
	bash hack/build-helm.sh

thirdparty-crds:  ## copy (or reuse from ~/.cache/teamop) the Secrets Store CSI driver's and Traefik's CRDs from Go modules
	bash hack/build-thirdparty-crds.sh

lint:
	$(PYTHON) -m ruff check src tests bench

typecheck:
	$(PYTHON) -m mypy --strict src

test: lint typecheck controlplane gotemplate helm thirdparty-crds  ## everything CI runs: lint, type checks, the whole suite on real servers
	bash hack/run-tests.sh

unit:  ## the tests that need no server
	$(PYTHON) -m pytest -m "not controlplane and not postgres" -q

dev:  ## run the operator's main job on the embedded control plane
	teamop dev up

crds:  ## regenerate config/crd/bases from the models, config/rbac/role.yaml from teamop.rbac, and the chart's copies
	teamop crds --out config/crd/bases
	teamop manifests --out config/rbac
	teamop manifests --chart charts/teamop

clean:
	$(PYTHON) -m teamop.testing.controlplane down
