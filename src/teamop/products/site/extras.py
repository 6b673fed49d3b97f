"""What a Site makes besides product resources, storage (`volumes`) and Keycloak (`keycloak`): the image pre-pull
DaemonSet and extra ServiceAccounts."""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products import images
from teamop.products.naming import MANAGED_BY, MANAGED_BY_LABEL
from teamop.products.site.labels import site_labels
from teamop.products.site.products import enabled_sections

PREPULL_COMMAND = "while true; do echo 'images pulled. sleeping forever'; sleep infinity; done"
PREPULL_SLEEPER_IMAGE = "public.ecr.aws/docker/library/busybox"


def images_to_prepull(spec: SiteSpec) -> list[str | None]:
    """The images to pull, in the reference's order: Workbench's server and default session image, Connect's
    server and session image, Chronicle's server and agent image, Package Manager's image, then Workbench's extra
    session images. A server image the section does not name is the default the product will run; None where a
    product is not enabled or names no session image: the init containers are named after the position in this
    list, as the reference names them."""
    enabled = enabled_sections(spec)
    workbench = spec.workbench if "workbench" in enabled else None
    connect = spec.connect if "connect" in enabled else None
    chronicle = spec.chronicle if "chronicle" in enabled else None
    package_manager = spec.package_manager if "packageManager" in enabled else None
    return [
        images.server_image("workbench", workbench.image) if workbench else None,
        workbench.default_session_image if workbench else None,
        images.server_image("connect", connect.image) if connect else None,
        connect.session_image if connect else None,
        images.server_image("chronicle", chronicle.image) if chronicle else None,
        chronicle.agent_image if chronicle else None,
        images.server_image("packagemanager", package_manager.image) if package_manager else None,
        *((workbench.extra_session_images or []) if workbench else []),
    ]


def prepull_daemonset(site: str, namespace: str, spec: SiteSpec) -> dict[str, Any] | None:
    """`<site>-prepull`: pulls every product image on every node ahead of need, then sleeps. As the reference,
    plus the Site's image pull secrets (without them a private image cannot be pre-pulled)."""
    images = images_to_prepull(spec)
    if spec.disable_pre_pull_images or not any(images):
        return None
    name = f"{site}-prepull"
    init_containers = [
        {
            "name": f"pre-pull-container-{index}",
            "image": image,
            "command": ["echo"],
            "args": [f"pre-pulling image: {image}"],
        }
        for index, image in enumerate(images) if image
    ]
    pod_spec: dict[str, Any] = {
        "enableServiceLinks": False,
        "initContainers": init_containers,
        "containers": [{
            "name": "sleep-forever",
            "image": PREPULL_SLEEPER_IMAGE,
            "command": ["sh", "-c", PREPULL_COMMAND],
        }],
    }
    if spec.image_pull_secrets:
        pod_spec["imagePullSecrets"] = [{"name": n} for n in spec.image_pull_secrets]
    tolerations = spec.workbench.tolerations if spec.workbench else None
    if tolerations:
        pod_spec["tolerations"] = [toleration.to_dict() for toleration in tolerations]
    return {
        "apiVersion": "apps/v1",
        "kind": "DaemonSet",
        "metadata": {"name": name, "namespace": namespace, "labels": site_labels(site)},
        "spec": {
            "selector": {"matchLabels": {"app": name}},
            "updateStrategy": {"type": "RollingUpdate", "rollingUpdate": {"maxUnavailable": "50%"}},
            "template": {
                "metadata": {"labels": {"app": name, **site_labels(site), MANAGED_BY_LABEL: MANAGED_BY}},
                "spec": pod_spec,
            },
        },
    }


def extra_service_accounts(site: str, namespace: str, spec: SiteSpec) -> list[dict[str, Any]]:
    accounts = []
    for extra in spec.extra_site_service_accounts or []:
        if not extra.name_suffix:
            continue
        metadata: dict[str, Any] = {"name": f"{site}-{extra.name_suffix}", "namespace": namespace,
                                    "labels": site_labels(site)}
        if extra.annotations:
            metadata["annotations"] = dict(extra.annotations)
        accounts.append({"apiVersion": "v1", "kind": "ServiceAccount", "metadata": metadata,
                         "automountServiceAccountToken": True})
    return accounts
