"""The Job and Service templates teamop gives Connect's and Workbench's launcher, executed as the Posit Job
Launcher executes them (Go's text/template with sprig and Helm's functions: hack/gotemplate) for the jobs in
launcher_jobs.py: the output is one Kubernetes object the API server accepts (server-side dry run, strict field
validation), and it is what the Go operator's templates (tests/reference/launcher-templates/2.5.0) make from the
same job and the same product settings, except for these differences:

- Keys without a value. The reference writes `annotations:` or `initContainers:` with nothing under them (YAML
  null, which the API server drops); teamop leaves such keys out.
- `shareProcessNamespace: false`. The reference writes it for every job; teamop writes the field only when the
  job asks for a shared process namespace (false is the field's default).
- `clusterIP: ''`. The reference's Service asks for an allocated address with an empty string; teamop leaves the
  field out, which asks for the same.
- Empty `resources: {}` and `securityContext: {}` of a container. The Go operator's data gives Connect's
  `init-runtime` init container both, empty; teamop's data leaves them out.
- The product's pod security context (`sessionConfig.pod.securityContext`). The reference applies it only to a
  job with supplemental groups, and then writes nested values in Go's syntax (`map[type:RuntimeDefault]`),
  which the API server rejects; teamop applies it to every job, as YAML.
- A job without environment variables. The reference's template fails on it (it takes the length of the
  product's `env`, which the test Site's data has not); teamop's renders it.

(User and group ids of a billion are the same numbers on both sides: the reference writes them as Go floats,
`1.587401234e+09`, which YAML and the API server read as the same integer; teamop writes integers.)
"""

from __future__ import annotations

import copy
import functools
import json
import subprocess
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from cases import CONNECT_KEYS, REFERENCE_OBJECTS, context, reference_object, reference_spec
from launcher_jobs import JOBS, SESSION_CONFIG, launcher_job

from teamop.api.v1beta1 import ConnectSpec
from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products import connect, workbench
from teamop.products.context import RenderContext, SecretKeyRef
from teamop.products.database import database_target
from teamop.products.launcher_templates import DATA_FILE, JOB_TEMPLATE_FILE, SERVICE_TEMPLATE_FILE
from teamop.testing.controlplane import ControlPlane
from teamop.testing.gotemplate import GoTemplates, TemplateError

REFERENCE_TEMPLATES = REFERENCE_OBJECTS.parents[1] / "launcher-templates" / "2.5.0"
PRODUCTS = ("connect", "workbench")
# The product settings a job is rendered with: the reference's test Site as it is, and with SESSION_CONFIG.
SETTINGS = ("test-site", "session-config")
TEMPLATES = (JOB_TEMPLATE_FILE, SERVICE_TEMPLATE_FILE)
CASES = [(product, settings, job) for product in PRODUCTS for settings in SETTINGS for job in JOBS]
CASE_IDS = ["-".join(case) for case in CASES]


# --- the templates ------------------------------------------------------------------------------------------


def _workbench_context(spec: WorkbenchSpec) -> RenderContext:
    secrets = {need.key: SecretKeyRef("test", need.key) for need in workbench.secret_needs(spec)}
    secrets.setdefault("dev-db-password", SecretKeyRef("test", "dev-db-password"))
    database = database_target("test", "workbench", host="postgres.example.test", port=5432, sslmode="disable",
                               password=secrets["dev-db-password"])
    return RenderContext(site="test", namespace="posit-team", secrets=secrets, database=database)


@functools.cache
def teamop_config_map(product: str, settings: str) -> dict[str, str]:
    """The files of teamop's `test-<product>-templates` ConfigMap for the reference's test Site."""
    spec = reference_spec(product.capitalize())
    if settings == "session-config":
        spec = {**spec, "sessionConfig": SESSION_CONFIG}
    if product == "connect":
        rendered = connect.render(ConnectSpec.model_validate(spec), context("connect", *CONNECT_KEYS))
        return dict(rendered.get("ConfigMap", "test-connect-templates")["data"])
    workbench_spec = WorkbenchSpec.model_validate(spec)
    workbench_rendered = workbench.render(workbench_spec, _workbench_context(workbench_spec))
    return dict(workbench_rendered.get("ConfigMap", "test-workbench-templates")["data"])


def teamops(product: str, settings: str) -> GoTemplates:
    return GoTemplates(teamop_config_map(product, settings))


def references(product: str, settings: str) -> GoTemplates:
    """The reference's job.tpl and service.tpl next to teamop's data for the same product settings."""
    files = {name: (REFERENCE_TEMPLATES / name).read_text() for name in TEMPLATES}
    return GoTemplates({**files, DATA_FILE: teamop_config_map(product, settings)[DATA_FILE]})


def go_operators(product: str) -> GoTemplates:
    """The Go operator's own `test-<product>-templates` ConfigMap (its templates and its data)."""
    return GoTemplates(dict(reference_object("ConfigMap", f"test-{product}-templates")["data"]))


# --- reading the output -------------------------------------------------------------------------------------


class _UniqueKeyLoader(yaml.SafeLoader):
    """YAML that the API server would also read unambiguously: a key twice in one mapping is an error."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        keys = [self.construct_object(key, deep=deep) for key, _ in node.value]
        for key in keys:
            if keys.count(key) > 1:
                raise yaml.constructor.ConstructorError(None, None, f"duplicate key {key!r}", node.start_mark)
        return super().construct_mapping(node, deep=deep)


def kubernetes_object(text: str) -> dict[str, Any]:
    """The one Kubernetes object a template wrote."""
    documents = [document for document in yaml.load_all(text, Loader=_UniqueKeyLoader) if document is not None]
    assert len(documents) == 1, text
    (obj,) = documents
    assert isinstance(obj, dict), text
    assert {"apiVersion", "kind", "metadata", "spec"} <= set(obj), text
    return obj


def rendered(templates: GoTemplates, name: str, job: dict[str, Any]) -> dict[str, Any]:
    return kubernetes_object(templates.execute(name, job))


def pod_spec(job_object: dict[str, Any]) -> dict[str, Any]:
    spec: dict[str, Any] = job_object["spec"]["template"]["spec"]
    return spec


# --- the listed differences, applied to both sides before comparing ----------------------------------------


def without_null_values(value: Any) -> Any:
    if isinstance(value, dict):
        return {key: without_null_values(item) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [without_null_values(item) for item in value]
    return value


def comparable(obj: dict[str, Any], settings: str) -> dict[str, Any]:
    obj = without_null_values(copy.deepcopy(obj))
    if obj["kind"] == "Service":
        if obj["spec"].get("clusterIP") == "":
            del obj["spec"]["clusterIP"]
        return obj
    pod = pod_spec(obj)
    if pod.get("shareProcessNamespace") is False:
        del pod["shareProcessNamespace"]
    for container in [*pod["containers"], *pod.get("initContainers", [])]:
        for field in ("resources", "securityContext"):
            if container.get(field) == {}:
                del container[field]
    if settings == "session-config":
        for key in SESSION_CONFIG["pod"]["securityContext"]:
            pod["securityContext"].pop(key, None)
    return obj


# --- the objects are what the reference makes ---------------------------------------------------------------


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize(("product", "settings", "job"), CASES, ids=CASE_IDS)
def test_teamops_template_makes_the_references_object(product: str, settings: str, job: str, template: str) -> None:
    ours = rendered(teamops(product, settings), template, JOBS[job])
    theirs = rendered(references(product, settings), template, JOBS[job])
    assert comparable(ours, settings) == comparable(theirs, settings)


@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize("job", JOBS)
@pytest.mark.parametrize("product", PRODUCTS)
def test_teamops_config_map_makes_what_the_go_operators_config_map_makes(product: str, job: str,
                                                                        template: str) -> None:
    ours = rendered(teamops(product, "test-site"), template, JOBS[job])
    theirs = rendered(go_operators(product), template, JOBS[job])
    assert comparable(ours, "test-site") == comparable(theirs, "test-site")


# --- the objects are what a user asked for ------------------------------------------------------------------


@pytest.mark.parametrize("product", PRODUCTS)
def test_gpus_and_resources_become_limits_and_requests(product: str) -> None:
    for job, expected in [
        ("nvidia-gpu", {"limits": {"cpu": "2", "memory": "4096M", "nvidia.com/gpu": 1},
                        "requests": {"cpu": "0.5", "memory": "2048M"}}),
        ("amd-gpu", {"limits": {"cpu": "1", "memory": "512M", "amd.com/gpu": 2}}),
    ]:
        container = pod_spec(rendered(teamops(product, "test-site"), JOB_TEMPLATE_FILE, JOBS[job]))["containers"][0]
        assert container["resources"] == expected, job


@pytest.mark.parametrize("product", PRODUCTS)
def test_placement_constraints_and_the_products_node_selector_and_tolerations_schedule_the_session(
    product: str,
) -> None:
    pod = pod_spec(rendered(teamops(product, "session-config"), JOB_TEMPLATE_FILE, JOBS["placement"]))
    assert pod["nodeName"] == "node-7"
    assert pod["nodeSelector"] == {"node.kubernetes.io/instance-type": "m5.xlarge", "pool": "sessions",
                                   "kubernetes.io/os": "linux"}
    assert pod["tolerations"] == SESSION_CONFIG["pod"]["tolerations"]
    assert pod["affinity"] == SESSION_CONFIG["pod"]["affinity"]


@pytest.mark.parametrize("product", PRODUCTS)
def test_init_containers_run_the_jobs_then_the_metadatas_then_the_products(product: str) -> None:
    pod = pod_spec(rendered(teamops(product, "session-config"), JOB_TEMPLATE_FILE, JOBS["init-containers"]))
    fetch, check, *others = pod["initContainers"]
    assert fetch["command"] == ["/bin/sh"]
    assert fetch["args"] == ["-c", "echo ready"]
    assert fetch["env"] == [{"name": "STAGE", "value": "fetch"}]
    assert fetch["volumeMounts"] == [{"name": "work", "mountPath": "/work"}]
    assert check["command"] == ["/bin/true"]
    assert check["args"] == ["--quiet"]
    products = ["init-runtime", "warm-cache"] if product == "connect" else ["warm-cache"]
    assert [container["name"] for container in others] == ["from-metadata", *products]


@pytest.mark.parametrize("product", PRODUCTS)
def test_the_service_exposes_the_unpublished_ports_and_the_pod_publishes_the_others(product: str) -> None:
    templates = teamops(product, "test-site")
    service = rendered(templates, SERVICE_TEMPLATE_FILE, JOBS["service-ports"])
    assert service["metadata"]["name"] == "alice-rstudio-session-k7f3q9"
    assert service["spec"]["selector"] == {"job-name": "k7f3q9"}
    assert service["spec"]["ports"] == [
        {"name": "port0", "protocol": "TCP", "port": 8787, "targetPort": 8787},
        {"name": "port1", "protocol": "UDP", "port": 5353, "targetPort": 5353},
    ]
    container = pod_spec(rendered(templates, JOB_TEMPLATE_FILE, JOBS["service-ports"]))["containers"][0]
    assert container["ports"] == [{"containerPort": 9000, "hostPort": 30900}]


@pytest.mark.parametrize("product", PRODUCTS)
def test_teamop_applies_the_products_pod_security_context_to_every_job(product: str) -> None:
    for job in ("plain", "shell-command"):
        pod = pod_spec(rendered(teamops(product, "session-config"), JOB_TEMPLATE_FILE, JOBS[job]))
        assert pod["securityContext"]["fsGroup"] == 1000, job
        assert pod["securityContext"]["seccompProfile"] == {"type": "RuntimeDefault"}, job
        assert pod["securityContext"]["runAsNonRoot"] is True, job
        assert pod["securityContext"]["runAsUser"] == 1000, job


# --- the listed differences exist (when one disappears, drop it from the list above) -------------------------


@pytest.mark.parametrize("product", PRODUCTS)
def test_the_reference_writes_null_keys_shared_process_namespace_and_an_empty_cluster_ip(product: str) -> None:
    job = rendered(references(product, "test-site"), JOB_TEMPLATE_FILE, JOBS["plain"])
    service = rendered(references(product, "test-site"), SERVICE_TEMPLATE_FILE, JOBS["plain"])
    assert job["metadata"]["annotations"] is None
    assert pod_spec(job)["shareProcessNamespace"] is False
    assert service["spec"]["clusterIP"] == ""
    ours = rendered(teamops(product, "test-site"), JOB_TEMPLATE_FILE, JOBS["plain"])
    assert "annotations" not in ours["metadata"]
    assert "shareProcessNamespace" not in pod_spec(ours)


def test_the_go_operators_connect_data_gives_init_runtime_empty_resources_and_security_context() -> None:
    theirs = pod_spec(rendered(go_operators("connect"), JOB_TEMPLATE_FILE, JOBS["plain"]))["initContainers"][0]
    ours = pod_spec(rendered(teamops("connect", "test-site"), JOB_TEMPLATE_FILE, JOBS["plain"]))["initContainers"][0]
    assert (theirs["resources"], theirs["securityContext"]) == ({}, {})
    assert "resources" not in ours
    assert "securityContext" not in ours


@pytest.mark.parametrize("product", PRODUCTS)
def test_the_reference_applies_the_products_pod_security_context_only_with_supplemental_groups(
    product: str,
) -> None:
    templates = references(product, "session-config")
    without_groups = pod_spec(rendered(templates, JOB_TEMPLATE_FILE, JOBS["plain"]))["securityContext"]
    with_groups = pod_spec(rendered(templates, JOB_TEMPLATE_FILE, JOBS["shell-command"]))["securityContext"]
    assert "fsGroup" not in without_groups
    assert "seccompProfile" not in without_groups
    assert with_groups["seccompProfile"] == "map[type:RuntimeDefault]"


@pytest.mark.parametrize("product", PRODUCTS)
def test_only_teamop_renders_a_job_without_environment_variables(product: str) -> None:
    job = launcher_job(environment=[])
    with pytest.raises(TemplateError, match="len"):
        references(product, "test-site").execute(JOB_TEMPLATE_FILE, job)
    container = pod_spec(rendered(teamops(product, "test-site"), JOB_TEMPLATE_FILE, job))["containers"][0]
    assert "env" not in container


@pytest.mark.parametrize("product", PRODUCTS)
def test_large_user_and_group_ids_are_written_as_integers(product: str) -> None:
    ours = teamops(product, "test-site").execute(JOB_TEMPLATE_FILE, JOBS["large-ids"])
    assert "runAsUser: 1587401234" in ours
    theirs = references(product, "test-site").execute(JOB_TEMPLATE_FILE, JOBS["large-ids"])
    assert "runAsUser: 1.587401234e+09" in theirs


# --- the API server accepts them ----------------------------------------------------------------------------


@pytest.fixture(scope="module")
def dry_run_namespace(controlplane: ControlPlane) -> Iterator[str]:
    name = "launcher-templates-dry-run"
    controlplane.kubectl("create", "namespace", name)
    yield name
    controlplane.kubectl("delete", "namespace", name, "--wait=false", "--ignore-not-found", check=False)


def dry_run_create(controlplane: ControlPlane, namespace: str, obj: dict[str, Any]) -> subprocess.CompletedProcess[str]:
    """Create `obj` with dryRun=All and strict field validation: every field must be known and valid."""
    return controlplane.kubectl("create", "--dry-run=server", "--validate=strict", "-n", namespace, "-f", "-",
                                "-o", "json", input=json.dumps(obj), check=False)


@pytest.mark.controlplane
@pytest.mark.parametrize("template", TEMPLATES)
@pytest.mark.parametrize(("product", "settings", "job"), CASES, ids=CASE_IDS)
def test_the_api_server_accepts_teamops_object(controlplane: ControlPlane, dry_run_namespace: str, product: str,
                                               settings: str, job: str, template: str) -> None:
    obj = rendered(teamops(product, settings), template, JOBS[job])
    result = dry_run_create(controlplane, dry_run_namespace, obj)
    assert result.returncode == 0, result.stderr
    created = json.loads(result.stdout)
    assert created["kind"] == obj["kind"]
    assert created["metadata"]["labels"] == obj["metadata"]["labels"]


@pytest.mark.controlplane
@pytest.mark.parametrize("product", PRODUCTS)
def test_the_api_server_rejects_the_references_job_with_supplemental_groups_and_a_seccomp_profile(
    controlplane: ControlPlane, dry_run_namespace: str, product: str
) -> None:
    obj = rendered(references(product, "session-config"), JOB_TEMPLATE_FILE, JOBS["shell-command"])
    result = dry_run_create(controlplane, dry_run_namespace, obj)
    assert result.returncode != 0
    assert "seccompProfile" in result.stderr
