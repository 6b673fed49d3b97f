"""Chronicle: `render(spec, context)` turns a Chronicle CR's spec into its objects and config file, and
`agent_for(...)` gives the `ChronicleAgent` that Connect and Workbench pods get.

Objects (`<site>` = `context.site`): ServiceAccounts `<site>-chronicle` and `<site>-chronicle-read-only` (as the
reference); ConfigMap `<site>-chronicle` (`posit-chronicle.gcfg`); with local storage the PVC `<site>-chronicle`;
Service (http 80 → 5252); StatefulSet `<site>-chronicle` (one replica; its `serviceName` is the reference's
`chronicle-server`, kept because it cannot change once created).

Storage: `spec.config.S3Storage.Bucket` set → S3 (local storage switched off); else local storage on the PVC.
"""

from __future__ import annotations

from teamop.api.v1beta1.chronicle import ChronicleSpec
from teamop.api.v1beta1.site import SiteChronicle
from teamop.products import images
from teamop.products.context import ChronicleAgent, RenderContext, SecretNeed
from teamop.products.gcfg import Gcfg, GcfgValue
from teamop.products.naming import child_name
from teamop.products.objects import ServicePort, config_map, eks_role_annotations, service, service_account
from teamop.products.rendered import Rendered
from teamop.products.storage import claim_volume, data_claim
from teamop.products.workload import ContainerPort, PodParts, Workload, stateful_set

COMPONENT = "chronicle"
CONTAINER = "chronicle-server"
STATEFUL_SET_SERVICE_NAME = "chronicle-server"
HTTP_PORT = 5252
PROFILING_PORT = 3030
SERVICE_PORT = 80
CONFIG_DIR = "/etc/posit-chronicle"
CONFIG_FILE = "posit-chronicle.gcfg"
DATA_DIR = "/var/lib/posit-chronicle/data"

SECTION_ORDER = ("Http", "Metrics", "Profiling", "S3Storage", "LocalStorage", "Logging")
KEY_ORDER: dict[str, tuple[str, ...]] = {
    "Profiling": ("Enabled", "Listen"),
    "S3Storage": ("Enabled", "Bucket", "Region", "Prefix"),
    "LocalStorage": ("Enabled", "Location"),
    "Logging": ("ServiceLog", "ServiceLogLevel", "ServiceLogFormat"),
}
DEFAULTS: dict[str, dict[str, GcfgValue]] = {"Profiling": {"Enabled": False}}

OWNED_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "ServiceAccount"),
    ("v1", "ConfigMap"),
    ("v1", "PersistentVolumeClaim"),
    ("v1", "Service"),
    ("apps/v1", "StatefulSet"),
)
"""(apiVersion, kind) of every kind a Chronicle may own."""


def server_url(site: str, namespace: str) -> str:
    """Where agents send their data: the Chronicle Service inside the cluster."""
    return f"http://{child_name(site, COMPONENT)}.{namespace}.svc.cluster.local"


def agent_for(site: str, namespace: str, chronicle: SiteChronicle | None) -> ChronicleAgent | None:
    """The agent sidecar the products get: only when Chronicle is enabled and has an agent image (COMPAT.md).
    The product renderers add the product's API key themselves."""
    if chronicle is None or chronicle.enabled is False or not chronicle.agent_image:
        return None
    return ChronicleAgent(image=chronicle.agent_image, server_url=server_url(site, namespace))


def s3_bucket(spec: ChronicleSpec) -> str | None:
    s3 = spec.config.s3_storage if spec.config else None
    return s3.bucket if s3 else None


def secret_needs(spec: ChronicleSpec) -> list[SecretNeed]:
    return []


def chronicle_gcfg(spec: ChronicleSpec) -> str:
    doc = Gcfg(SECTION_ORDER, KEY_ORDER)
    doc.merge(DEFAULTS)
    if spec.config is not None:
        doc.merge(spec.config.model_dump(by_alias=True, exclude_none=True))
    managed: dict[str, dict[str, GcfgValue]] = {"Http": {"Listen": f":{HTTP_PORT}"}}
    if s3_bucket(spec):
        managed["S3Storage"] = {"Enabled": True}
        managed["LocalStorage"] = {"Enabled": False}
    else:
        managed["LocalStorage"] = {"Enabled": True, "Location": DATA_DIR}
    doc.merge(managed)
    return doc.render()


def render(spec: ChronicleSpec, context: RenderContext) -> Rendered:
    site, namespace = context.site, context.namespace
    name = child_name(site, COMPONENT)
    rendered = Rendered()
    rendered.files[CONFIG_FILE] = chronicle_gcfg(spec)
    rendered.add(config_map(site, namespace, COMPONENT, name, rendered.files))

    role_suffix = f"{spec.cluster_date or ''}.{site}.{spec.workload_compound_name or ''}.posit.team"
    account = spec.aws_account_id if spec.cluster_date else None  # the reference's rule: both, or no role
    rendered.add(
        service_account(site, namespace, COMPONENT,
                        annotations=eks_role_annotations(account, f"chr.{role_suffix}")),
        service_account(site, namespace, COMPONENT, child_name(site, COMPONENT, "read-only"),
                        annotations=eks_role_annotations(account, f"chr-ro.{role_suffix}")),
    )
    parts = PodParts(
        volumes=[{"name": "config", "configMap": {"name": name, "items": [{"key": CONFIG_FILE, "path": CONFIG_FILE}],
                                                  "defaultMode": 420}}],
        mounts=[{"name": "config", "mountPath": f"{CONFIG_DIR}/{CONFIG_FILE}", "subPath": CONFIG_FILE,
                 "readOnly": True}],
    )
    if not s3_bucket(spec):
        claim = data_claim(site, namespace, COMPONENT, None)
        rendered.add(claim.pvc)
        parts = PodParts.join(parts, PodParts(volumes=[claim_volume("data", claim.claim_name)],
                                              mounts=[{"name": "data", "mountPath": DATA_DIR}]))

    workload = Workload(
        site=site,
        namespace=namespace,
        component=COMPONENT,
        container_name=CONTAINER,
        image=images.server_image("chronicle", spec.image),
        service_account=name,
        config_hash=rendered.config_hash,
        ports=(ContainerPort("http", HTTP_PORT), ContainerPort("profile", PROFILING_PORT)),
        image_pull_secrets=spec.image_pull_secrets or (),
        command=["/chronicle"],
        args=["start", "-c", f"{CONFIG_DIR}/{CONFIG_FILE}"],
        add_env=spec.add_env,
        volumes=parts.volumes,
        volume_mounts=parts.mounts,
        node_selector=spec.node_selector,
        spread_over_nodes=False,
    )
    rendered.add(
        service(site, namespace, COMPONENT, [ServicePort("http", SERVICE_PORT)]),
        stateful_set(workload, 1, STATEFUL_SET_SERVICE_NAME),
    )
    return rendered
