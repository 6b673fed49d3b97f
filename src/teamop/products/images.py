"""The images a product runs when its resource names none: Posit's public images, tagged with the product version
teamop pins (README "Default images").

They are the images of Posit's `rstudio-docker-products` (Docker Hub `rstudio/…`, here from `ghcr.io/rstudio/…`,
tags `ubuntu2204-<version>`): the pods teamop renders follow the Go operator's, which start those images' own
`/usr/local/bin/startup.sh` under `tini` (Workbench: `supervisord`) and pass the licence as `RS*_LICENSE_FILE_PATH`.
Posit's newer `posit/…` images (used by its Helm charts since 2026) start and license differently.

A value set in the spec always wins: a product resource the Go operator wrote with an image keeps it. The Chronicle
agent has no default (COMPAT.md: agents only with `spec.chronicle.agentImage`).
"""

from __future__ import annotations

from typing import Literal

Product = Literal["connect", "workbench", "packagemanager", "chronicle"]

REGISTRY = "ghcr.io/rstudio"
OS_TAG_PREFIX = "ubuntu2204-"

CONNECT_VERSION = "2026.06.1"
WORKBENCH_VERSION = "2026.07.1"
PACKAGE_MANAGER_VERSION = "2026.06.0"
CHRONICLE_VERSION = "2026.01.0"

CONNECT_IMAGE = f"{REGISTRY}/rstudio-connect:{OS_TAG_PREFIX}{CONNECT_VERSION}"
CONNECT_CONTENT_INIT_IMAGE = f"{REGISTRY}/rstudio-connect-content-init:{OS_TAG_PREFIX}{CONNECT_VERSION}"
"""Connect's session runtime, copied into content pods by their init container: the same version as the server."""
WORKBENCH_IMAGE = f"{REGISTRY}/rstudio-workbench:{OS_TAG_PREFIX}{WORKBENCH_VERSION}"
PACKAGE_MANAGER_IMAGE = f"{REGISTRY}/rstudio-package-manager:{OS_TAG_PREFIX}{PACKAGE_MANAGER_VERSION}"
CHRONICLE_IMAGE = f"{REGISTRY}/chronicle:{CHRONICLE_VERSION}"

GO_OPERATOR_CONTENT_INIT_IMAGE = f"{REGISTRY}/rstudio-connect-content-init:{OS_TAG_PREFIX}2024.06.0"
"""The Go operator's fixed content-init image, used (as there) when a Connect image is named without a
`sessionImage`: its version cannot be told from an arbitrary image reference."""

DEFAULT_IMAGES: dict[Product, str] = {
    "connect": CONNECT_IMAGE,
    "workbench": WORKBENCH_IMAGE,
    "packagemanager": PACKAGE_MANAGER_IMAGE,
    "chronicle": CHRONICLE_IMAGE,
}


def server_image(product: Product, image: str | None) -> str:
    """The product's server image: `image` when the spec sets one, else teamop's default."""
    return image or DEFAULT_IMAGES[product]


def connect_content_init_image(image: str | None, session_image: str | None) -> str:
    """The image of the content pods' runtime init container: `sessionImage` when set; else the one matching the
    default Connect image when Connect runs it; else the Go operator's default."""
    if session_image:
        return session_image
    return GO_OPERATOR_CONTENT_INIT_IMAGE if image else CONNECT_CONTENT_INIT_IMAGE
