"""The kinds of core.posit.team/v1beta1, with what their CRDs say besides the schema."""

from __future__ import annotations

from dataclasses import dataclass

from teamop.api.v1beta1.chronicle import Chronicle
from teamop.api.v1beta1.connect import Connect
from teamop.api.v1beta1.flightdeck import Flightdeck
from teamop.api.v1beta1.packagemanager import PackageManager
from teamop.api.v1beta1.postgresdatabase import PostgresDatabase
from teamop.api.v1beta1.resource import Resource
from teamop.api.v1beta1.site import Site
from teamop.api.v1beta1.workbench import Workbench

READY_CONDITION = '.status.conditions[?(@.type=="Ready")].status'


@dataclass(frozen=True)
class PrinterColumn:
    """A column of `kubectl get`."""

    name: str
    json_path: str
    type: str = "string"
    description: str = ""
    priority: int = 0


READY = PrinterColumn("Ready", READY_CONDITION, description="Whether the object is ready")
URL = PrinterColumn("URL", ".status.url", description="Where users reach the product")
REPLICAS = PrinterColumn("Replicas", ".status.readyReplicas", "integer", "Ready pods", priority=1)
AGE = PrinterColumn("Age", ".metadata.creationTimestamp", "date")
REASON = PrinterColumn(
    "Reason", '.status.conditions[?(@.type=="Ready")].reason', description="Why (not) ready", priority=1
)


@dataclass(frozen=True)
class Kind:
    """One custom resource kind: its model and its names."""

    model: type[Resource]
    kind: str
    plural: str
    singular: str
    short_names: tuple[str, ...] = ()
    columns: tuple[PrinterColumn, ...] = ()

    @property
    def crd_name(self) -> str:
        return f"{self.plural}.core.posit.team"


KINDS: tuple[Kind, ...] = (
    Kind(
        Site,
        "Site",
        "sites",
        "site",
        columns=(
            READY,
            PrinterColumn("Domain", ".spec.domain", description="The Site's domain"),
            REASON,
            AGE,
        ),
    ),
    Kind(Connect, "Connect", "connects", "connect", ("con", "cons"), (READY, URL, REPLICAS, REASON, AGE)),
    Kind(Workbench, "Workbench", "workbenches", "workbench", ("wb", "wbs"), (READY, URL, REPLICAS, REASON, AGE)),
    Kind(
        PackageManager,
        "PackageManager",
        "packagemanagers",
        "packagemanager",
        ("pm", "pms"),
        (READY, URL, REPLICAS, REASON, AGE),
    ),
    Kind(
        PostgresDatabase,
        "PostgresDatabase",
        "postgresdatabases",
        "postgresdatabase",
        ("pgdb", "pgdbs"),
        (
            READY,
            PrinterColumn("Database", ".status.database", description="The database on the server"),
            REASON,
            AGE,
        ),
    ),
    Kind(Flightdeck, "Flightdeck", "flightdecks", "flightdeck", (), (READY, URL, REPLICAS, REASON, AGE)),
    Kind(Chronicle, "Chronicle", "chronicles", "chronicle", ("pcr", "chr"), (READY, REPLICAS, REASON, AGE)),
)

KINDS_BY_NAME = {kind.kind: kind for kind in KINDS}
