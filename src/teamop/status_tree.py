"""Sites, their products and the objects behind them as a tree, from plain objects as the API server returns
them: what is ready, what is not and why (the conditions' messages). Pure: `cli_status.py` fetches the objects.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from teamop.api.v1beta1 import SiteSpec
from teamop.products.site import PRODUCTS, enabled_sections

Obj = Mapping[str, Any]

READY, NOT_READY, WARNING, NEUTRAL = "✓", "✗", "!", "·"
PRODUCT_ORDER = ("Connect", "Workbench", "PackageManager", "Chronicle", "Flightdeck")


@dataclass
class Node:
    label: str
    ok: bool | None = None
    """True ready, False not ready, None neither (shown without a mark)."""
    details: list[str] = field(default_factory=list)
    children: list[Node] = field(default_factory=list)


@dataclass(frozen=True)
class Objects:
    """Everything read from one namespace."""

    products: Mapping[str, Mapping[str, Obj]]
    """kind → name → product resource."""
    owned: Mapping[str, Sequence[Obj]]
    """owner uid → Deployments, StatefulSets, PersistentVolumeClaims and PostgresDatabases it controls."""


def owned_by_uid(objects: Iterable[Obj]) -> dict[str, list[Obj]]:
    owned: dict[str, list[Obj]] = {}
    for obj in objects:
        for ref in (obj.get("metadata") or {}).get("ownerReferences") or []:
            if ref.get("controller") and ref.get("uid"):
                owned.setdefault(ref["uid"], []).append(obj)
    return owned


def site_tree(site: Obj, objects: Objects, *, verbose: bool = False) -> Node:
    """The Site, the objects it controls, its products and theirs; conditions that need attention (every
    condition when `verbose`) under each."""
    metadata = site["metadata"]
    name = metadata["name"]
    ok = resource_ready(site)
    node = Node(f"Site {name} (namespace {metadata.get('namespace')}): {_state(ok, site)}", ok,
                condition_lines(site, verbose))
    node.children += [object_node(child, verbose=verbose)
                      for child in _sorted(objects.owned.get(metadata.get("uid", ""), []))]
    for kind in expected_products(site):
        product = objects.products.get(kind, {}).get(name)
        node.children.append(product_node(kind, name, product, objects, verbose=verbose))
    return node


def expected_products(site: Obj) -> list[str]:
    """The product kinds the Site enables (from its spec; from its status when the spec cannot be read)."""
    try:
        sections = enabled_sections(SiteSpec.model_validate(site.get("spec") or {}))
    except ValidationError:
        sections = list(((site.get("status") or {}).get("products") or {}).keys())
    kinds = {PRODUCTS[s][0] for s in sections if s in PRODUCTS}
    return [k for k in PRODUCT_ORDER if k in kinds]


def product_node(kind: str, name: str, product: Obj | None, objects: Objects, *, verbose: bool = False) -> Node:
    if product is None:
        return Node(f"{kind} {name}: {NOT_READY} not created yet (the Site controller creates it)", False)
    ok = resource_ready(product)
    status = product.get("status") or {}
    extras = []
    if status.get("desiredReplicas") is not None:
        extras.append(f"{status.get('readyReplicas') or 0}/{status['desiredReplicas']} replicas")
    if status.get("url"):
        extras.append(str(status["url"]))
    label = f"{kind} {name}: {_state(ok, product)}" + (f"  ({', '.join(extras)})" if extras else "")
    node = Node(label, ok, condition_lines(product, verbose))
    node.children += [object_node(child, verbose=verbose)
                      for child in _sorted(objects.owned.get(product["metadata"]["uid"], []))]
    return node


def object_node(obj: Obj, *, verbose: bool = False) -> Node:
    kind, name = obj.get("kind", ""), obj["metadata"]["name"]
    spec, status = obj.get("spec") or {}, obj.get("status") or {}
    if kind in ("Deployment", "StatefulSet"):
        desired = int(spec.get("replicas", 1))
        ready = int(status.get("readyReplicas") or 0)
        current = status.get("observedGeneration") == obj["metadata"].get("generation")
        ok = current and ready >= desired
        text = f"{ready}/{desired} ready" + ("" if current else ", rollout not yet observed")
        details = [] if ok else [_condition_line(c, bad=True) for c in status.get("conditions") or []
                                 if _workload_condition_bad(c)]
        return Node(f"{kind} {name}: {_mark(ok)} {text}", ok, details)
    if kind == "PersistentVolumeClaim":
        phase = status.get("phase") or "Pending"
        ok = phase == "Bound"
        return Node(f"{kind} {name}: {_mark(ok)} {phase}", ok)
    if kind == "PostgresDatabase":
        ok = bool(status.get("ready"))
        text = "ready" if ok else "not ready"
        if ok and status.get("database"):
            text += f" (database {status['database']})"
        return Node(f"{kind} {name}: {_mark(ok)} {text}", ok, condition_lines(obj, verbose))
    return Node(f"{kind} {name}")


def resource_ready(obj: Obj) -> bool:
    """Ready, as its controller last said, for the generation the user last wrote."""
    status = obj.get("status") or {}
    return bool(status.get("ready")) and status.get("observedGeneration") == obj["metadata"].get("generation")


def _state(ok: bool, obj: Obj) -> str:
    if ok:
        return f"{READY} ready"
    status = obj.get("status") or {}
    if status.get("observedGeneration") != obj["metadata"].get("generation"):
        if not status:
            return f"{NOT_READY} not ready (not yet seen by its controller)"
        return f"{NOT_READY} not ready (its controller has not yet seen the latest change)"
    return f"{NOT_READY} not ready"


def _mark(ok: bool) -> str:
    return READY if ok else NOT_READY


def condition_bad(condition: Obj) -> bool:
    kind, state = str(condition.get("type", "")), condition.get("status")
    if kind == "Degraded":
        return state == "True"
    return state == "False" and (kind == "Ready" or kind.endswith(("Ready", "Configured")))


def condition_lines(obj: Obj, verbose: bool = False) -> list[str]:
    """The conditions that need attention (all of them when `verbose`); a message already shown for the object
    is not repeated."""
    lines = []
    shown: set[str] = set()
    for condition in (obj.get("status") or {}).get("conditions") or []:
        bad = condition_bad(condition)
        warning = condition.get("type") == "RenderWarnings" and condition.get("status") == "True"
        if not (bad or warning or verbose):
            continue
        message = str(condition.get("message") or "")
        repeated = message in shown
        shown.add(message)
        lines.append(_condition_line({**condition, "message": "" if repeated else message}, bad=bad,
                                     warning=warning))
    return lines


def _condition_line(condition: Obj, *, bad: bool, warning: bool = False) -> str:
    mark = NOT_READY if bad else WARNING if warning else NEUTRAL
    text = f"{mark} {condition.get('type')}={condition.get('status')}"
    if condition.get("reason"):
        text += f" {condition['reason']}"
    if condition.get("message"):
        text += f": {condition['message']}"
    return text


def _workload_condition_bad(condition: Obj) -> bool:
    kind, state = condition.get("type"), condition.get("status")
    return (kind in ("Available", "Progressing") and state == "False") or (kind == "ReplicaFailure" and
                                                                          state == "True")


_KIND_ORDER = ("PersistentVolumeClaim", "PostgresDatabase", "StatefulSet", "Deployment")


def _sorted(objects: Iterable[Obj]) -> list[Obj]:
    def key(obj: Obj) -> tuple[int, str]:
        kind = obj.get("kind", "")
        return (_KIND_ORDER.index(kind) if kind in _KIND_ORDER else len(_KIND_ORDER), obj["metadata"]["name"])

    return sorted(objects, key=key)


def format_tree(node: Node) -> str:
    """The tree in box-drawing characters; each node's details are indented under it."""
    lines = [node.label]
    _format_below(node, "", lines)
    return "\n".join(lines)


def _format_below(node: Node, prefix: str, lines: list[str]) -> None:
    detail_prefix = prefix + ("│   " if node.children else "    ")
    lines += [detail_prefix + detail for detail in node.details]
    for index, child in enumerate(node.children):
        last = index == len(node.children) - 1
        lines.append(prefix + ("└── " if last else "├── ") + child.label)
        _format_below(child, prefix + ("    " if last else "│   "), lines)
