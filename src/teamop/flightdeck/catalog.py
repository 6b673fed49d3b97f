"""Which product cards a Site gets, and where they link (COMPAT.md "What is enabled": a product is enabled when
its section is present in the Site's spec)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ACADEMY_PREFIX = "academy"


@dataclass(frozen=True)
class Product:
    key: str
    """Stable identifier, also the icon's file stem: workbench, connect, packagemanager, academy."""
    name: str
    description: str
    spec_field: str | None
    """The Site spec section that enables it; None for Academy, which SHOW_ACADEMY enables."""
    default_prefix: str


@dataclass(frozen=True)
class ProductCard:
    product: Product
    host: str
    """`<domainPrefix>.<domain>`"""

    @property
    def url(self) -> str:
        return f"https://{self.host}/"


WORKBENCH = Product(
    "workbench", "Workbench", "Develop in RStudio, Positron, VS Code and Jupyter, in your browser.",
    "workbench", "workbench",
)
CONNECT = Product(
    "connect", "Connect", "Publish and share apps, reports, APIs and dashboards.", "connect", "connect",
)
PACKAGE_MANAGER = Product(
    "packagemanager", "Package Manager", "Install R and Python packages from a curated, versioned repository.",
    "packageManager", "packagemanager",
)
ACADEMY = Product(
    "academy", "Academy", "Learn data science with guided, hands-on courses.", None, ACADEMY_PREFIX,
)
SITE_PRODUCTS = (WORKBENCH, CONNECT, PACKAGE_MANAGER)


def _prefix(section: Any, default: str) -> str:
    if isinstance(section, Mapping):
        prefix = section.get("domainPrefix")
        if isinstance(prefix, str) and prefix.strip():
            return prefix.strip()
    return default


def site_domain(spec: Mapping[str, Any]) -> str | None:
    domain = spec.get("domain")
    return domain.strip().rstrip(".") if isinstance(domain, str) and domain.strip() else None


def product_cards(spec: Mapping[str, Any], *, show_academy: bool) -> list[ProductCard]:
    """One card per enabled product, in a fixed order (Workbench, Connect, Package Manager, then Academy).
    A Site without a domain has no addresses, so no cards."""
    domain = site_domain(spec)
    if domain is None:
        return []
    cards = [
        ProductCard(product, f"{_prefix(spec[product.spec_field], product.default_prefix)}.{domain}")
        for product in SITE_PRODUCTS
        if product.spec_field is not None and spec.get(product.spec_field) is not None
    ]
    if show_academy:
        cards.append(ProductCard(ACADEMY, f"{ACADEMY_PREFIX}.{domain}"))
    return cards
