"""Every controller of the operator, and how to register them on a manager."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from teamop.api.v1beta1 import Chronicle, Connect, Flightdeck, PackageManager, Workbench
from teamop.controllers import postgresdatabase, site
from teamop.controllers.kinds import CHRONICLE, CONNECT, FLIGHTDECK, PACKAGE_MANAGER, STATEFUL_SET, WORKBENCH
from teamop.controllers.product import ProductKind, setup_product
from teamop.products import chronicle, connect, flightdeck, packagemanager, workbench
from teamop.products.context import SecretNeed
from teamop.runtime.manager import Manager

DEFAULT_OPERATOR_IMAGE = "ghcr.io/posit-dev/teamop:latest"


def _no_secrets(spec: Any) -> list[SecretNeed]:
    return []


PRODUCT_KINDS: tuple[ProductKind, ...] = (
    ProductKind(CONNECT, "connect", Connect, connect.render, connect.secret_needs, has_database=True,
                middlewares=True),
    ProductKind(WORKBENCH, "workbench", Workbench, workbench.render, workbench.secret_needs, has_database=True,
                middlewares=True),
    ProductKind(PACKAGE_MANAGER, "packagemanager", PackageManager, packagemanager.render,
                packagemanager.secret_needs, has_database=True),
    ProductKind(CHRONICLE, "chronicle", Chronicle, chronicle.render, chronicle.secret_needs, workload=STATEFUL_SET),
    ProductKind(FLIGHTDECK, "flightdeck", Flightdeck, flightdeck.render, _no_secrets),
)


@dataclass(frozen=True)
class OperatorSettings:
    operator_image: str = DEFAULT_OPERATOR_IMAGE
    max_concurrent_reconciles: int = 2


def controller_names() -> list[str]:
    return ["site", "postgresdatabase", *(kind.component for kind in PRODUCT_KINDS)]


def setup_operator(manager: Manager, settings: OperatorSettings | None = None) -> None:
    """Register the Site, PostgresDatabase and product controllers on `manager`."""
    settings = settings or OperatorSettings()
    site.setup(manager, max_concurrent_reconciles=settings.max_concurrent_reconciles)
    postgresdatabase.setup(manager, max_concurrent_reconciles=settings.max_concurrent_reconciles)
    for kind in PRODUCT_KINDS:
        setup_product(manager, kind, operator_image=settings.operator_image,
                      max_concurrent_reconciles=settings.max_concurrent_reconciles)
