"""The widget benchmark's job done with teamop's engine (`teamop.runtime` only), the way product controllers do it.

For each Widget (`bench.teamop.dev/v1`, `crd.yaml` here): a ConfigMap (data `message`) and a Service (one TCP
port `spec.port`, selector `widget: <name>`), both owned by the Widget and labelled
`app.kubernetes.io/managed-by: bench`; then `status.phase: Synced` and `status.observedGeneration`.

    python -m bench.widgets [--kubeconfig PATH] [--namespace NS] [--workers N]

It watches every namespace unless told one, as the anchors do; `bench/run-widgets` runs it side by side with
controller-runtime and kopf, `tests/bench/test_widgets_smoke.py` runs it on the test control plane.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from teamop.runtime.controller import Controller, ControllerBuilder
from teamop.runtime.kinds import GVK
from teamop.runtime.manager import Manager
from teamop.runtime.ownership import ManagedBy
from teamop.runtime.reconcile import Request, Result

WIDGET = GVK("bench.teamop.dev", "v1", "Widget")
CONFIG_MAP = GVK("", "v1", "ConfigMap")
SERVICE = GVK("", "v1", "Service")
OWNED_KINDS = (CONFIG_MAP, SERVICE)
MANAGED_BY = ManagedBy(value="bench")
CRD = Path(__file__).with_name("crd.yaml")


def desired_children(widget: Mapping[str, Any]) -> list[dict[str, Any]]:
    name = widget["metadata"]["name"]
    spec = widget.get("spec") or {}
    port = int(spec.get("port") or 8080)
    return [
        {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name},
         "data": {"message": str(spec.get("message", ""))}},
        {"apiVersion": "v1", "kind": "Service", "metadata": {"name": name},
         "spec": {"selector": {"widget": name},
                  "ports": [{"name": "http", "protocol": "TCP", "port": port, "targetPort": port}]}},
    ]


class WidgetReconciler:
    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self.reconciles = 0

    async def reconcile(self, request: Request) -> Result | None:
        self.reconciles += 1
        widget = self.manager.cache.get(WIDGET, request.name, request.namespace)
        if widget is None or widget["metadata"].get("deletionTimestamp"):
            return None  # the garbage collector removes the children
        await self.manager.applier.ensure_children(widget, desired_children(widget), owned_kinds=OWNED_KINDS)
        await self.manager.status.update(
            widget, {"phase": "Synced", "observedGeneration": widget["metadata"].get("generation")}
        )
        return None


def setup(manager: Manager, *, workers: int = 1) -> Controller:
    builder = ControllerBuilder(manager).named("widget").for_(WIDGET)
    for gvk in OWNED_KINDS:
        builder = builder.owns(gvk)
    return builder.with_options(max_concurrent_reconciles=workers).complete(WidgetReconciler(manager))
