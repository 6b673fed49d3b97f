"""A compact view of a Site's status: its conditions and one line per product."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any


def condition_line(condition: Mapping[str, Any]) -> str:
    text = f"{condition.get('type')}={condition.get('status')}"
    if condition.get("reason"):
        text += f" ({condition['reason']})"
    if condition.get("message") and condition.get("status") != "True":
        text += f": {condition['message']}"
    return text


def product_line(name: str, product: Mapping[str, Any], width: int) -> str:
    state = "ready" if product.get("ready") else "not ready"
    replicas = ""
    if product.get("desiredReplicas") is not None:
        replicas = f"{product.get('readyReplicas') or 0}/{product['desiredReplicas']} pods"
    text = f"{name:<{width}}  {state:<9}  {replicas:<8}  {product.get('url') or ''}".rstrip()
    if not product.get("ready") and product.get("message"):
        text += f"  - {product['message']}"
    return text


def site_summary(site: Mapping[str, Any]) -> list[str]:
    metadata = site.get("metadata") or {}
    status = site.get("status") or {}
    ready = "Ready" if status.get("ready") else "not Ready"
    lines = [f"Site {metadata.get('namespace')}/{metadata.get('name')}: {ready}"]
    products: Mapping[str, Any] = status.get("products") or {}
    width = max((len(name) for name in products), default=0)
    for name in sorted(products):
        lines.append(f"  {product_line(name, products[name], width)}")
    for condition in status.get("conditions") or []:
        lines.append(f"  condition {condition_line(condition)}")
    return lines
