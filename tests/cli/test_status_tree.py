"""The status tree from plain objects (no cluster): marks, conditions of what is not ready, box drawing."""

from __future__ import annotations

from typing import Any

from teamop.status_tree import Objects, format_tree, owned_by_uid, site_tree


def resource(kind: str, name: str, uid: str, *, ready: bool, conditions: list[dict[str, str]] | None = None,
             spec: dict[str, Any] | None = None, **status: Any) -> dict[str, Any]:
    return {"apiVersion": "core.posit.team/v1beta1", "kind": kind,
            "metadata": {"name": name, "namespace": "ns", "uid": uid, "generation": 1},
            "spec": spec or {}, "status": {"ready": ready, "observedGeneration": 1, "conditions": conditions or [],
                                           **status}}


def owned(kind: str, name: str, owner_uid: str, **fields: Any) -> dict[str, Any]:
    return {"kind": kind, "metadata": {"name": name, "generation": 1,
                                       "ownerReferences": [{"uid": owner_uid, "controller": True}]}, **fields}


def test_a_site_with_a_product_that_cannot_be_scheduled() -> None:
    not_ready = "0/1 replicas ready; pod orbit-connect-1 cannot be scheduled: 0/1 nodes are available"
    site = resource("Site", "orbit", "s", ready=False, spec={"domain": "x.example.com", "connect": {},
                                                               "flightdeck": {"enabled": False}},
                    conditions=[{"type": "Ready", "status": "False", "reason": "ProductsNotReady",
                                 "message": f"connect: {not_ready}"}])
    connect = resource("Connect", "orbit", "c", ready=False, readyReplicas=0, desiredReplicas=1,
                       url="https://connect.x.example.com",
                       conditions=[{"type": "Ready", "status": "False", "reason": "NotReady", "message": not_ready},
                                   {"type": "DatabaseReady", "status": "True", "reason": "DatabaseReady",
                                    "message": "database orbit_connect is provisioned"}])
    children = [
        owned("Deployment", "orbit-connect", "c", spec={"replicas": 1}, status={"observedGeneration": 1}),
        owned("PersistentVolumeClaim", "orbit-connect", "c", status={"phase": "Bound"}),
        owned("PostgresDatabase", "orbit-connect", "c", status={"ready": True, "database": "orbit_connect"}),
    ]

    objects = Objects({"Connect": {"orbit": connect}}, owned_by_uid(children))
    tree = format_tree(site_tree(site, objects))

    assert tree.splitlines() == [
        "Site orbit (namespace ns): ✗ not ready",
        f"│   ✗ Ready=False ProductsNotReady: connect: {not_ready}",
        "└── Connect orbit: ✗ not ready  (0/1 replicas, https://connect.x.example.com)",
        f"    │   ✗ Ready=False NotReady: {not_ready}",
        "    ├── PersistentVolumeClaim orbit-connect: ✓ Bound",
        "    ├── PostgresDatabase orbit-connect: ✓ ready (database orbit_connect)",
        "    └── Deployment orbit-connect: ✗ 0/1 ready",
    ]

    verbose = format_tree(site_tree(site, objects, verbose=True)).splitlines()
    assert "    │   · DatabaseReady=True DatabaseReady: database orbit_connect is provisioned" in verbose


def test_a_ready_site_shows_only_conditions_needing_attention_and_missing_products() -> None:
    site = resource("Site", "orbit", "s", ready=True, spec={"domain": "x.example.com", "packageManager": {}},
                    conditions=[{"type": "Ready", "status": "True", "reason": "AllProductsReady"}])
    flightdeck = resource("Flightdeck", "orbit", "f", ready=True,
                          conditions=[{"type": "Ready", "status": "True", "reason": "Available"},
                                      {"type": "RenderWarnings", "status": "True", "reason": "SpecPartlyIgnored",
                                       "message": "no licence"}])
    children = [owned("PersistentVolumeClaim", "orbit-shared", "s", status={"phase": "Pending"})]

    tree = format_tree(site_tree(site, Objects({"Flightdeck": {"orbit": flightdeck}}, owned_by_uid(children))))

    assert tree.splitlines() == [
        "Site orbit (namespace ns): ✓ ready",
        "├── PersistentVolumeClaim orbit-shared: ✗ Pending",
        "├── PackageManager orbit: ✗ not created yet (the Site controller creates it)",
        "└── Flightdeck orbit: ✓ ready",
        "        ! RenderWarnings=True SpecPartlyIgnored: no licence",
    ]


def test_a_message_already_shown_is_not_repeated() -> None:
    message = "connect: pod orbit-connect-1 cannot be scheduled"
    conditions = [{"type": "Ready", "status": "False", "reason": "ProductsNotReady", "message": message},
                  {"type": "Progressing", "status": "True", "reason": "WaitingForProducts", "message": message},
                  {"type": "Degraded", "status": "True", "reason": "ProductDegraded", "message": message}]
    site = resource("Site", "orbit", "s", ready=False, conditions=conditions,
                    spec={"domain": "x.example.com", "flightdeck": {"enabled": False}})

    tree = format_tree(site_tree(site, Objects({}, {})))

    assert tree.splitlines() == [
        "Site orbit (namespace ns): ✗ not ready",
        f"    ✗ Ready=False ProductsNotReady: {message}",
        "    ✗ Degraded=True ProductDegraded",
    ]
