"""Fields the API server will not change once an object exists, and how the applier keeps them.

An adopted object (made by a previous operator, or by a user) may differ from the desired object in a field the API
server refuses to change: an apply carrying the desired value would fail on every reconcile, and deleting and
recreating the object (a PersistentVolumeClaim with its data, a workload with its pods) is never acceptable. So,
before applying, the desired value of each such field is replaced by the live one (`keep_immutable`), and each
difference the desired object really had is reported (`Kept`), so that the owner's status can say so.

The live value is sent, not left out: after a takeover (see `takeover`) our manager may own the field, and an
apply without it would remove it — itself a change the server refuses. A field the desired object does not set is
sent only when our manager owns it (otherwise the apply does not touch it).

The table follows the API server's update validation (Kubernetes 1.36):
- PersistentVolumeClaim: the spec, except `resources.requests` (the storage request may grow, once bound) and
  `volumeAttributesClassName`; `storageClassName` and `volumeName` may be set once while unset.
- PersistentVolume: the volume source and `volumeMode`; `nodeAffinity` may be set while unset.
- Deployment, ReplicaSet, DaemonSet: `spec.selector`. StatefulSet: every spec field but `replicas`, `ordinals`,
  `template`, `updateStrategy`, `revisionHistoryLimit`, `persistentVolumeClaimRetentionPolicy` and
  `minReadySeconds` — of these teamop could render `selector`, `serviceName`, `volumeClaimTemplates`,
  `podManagementPolicy`.
- Job: `selector`, `template`, `completionMode`, `podFailurePolicy`, `backoffLimitPerIndex`, `successPolicy`,
  `managedBy`.
- Service: `clusterIP`, `clusterIPs` and `ipFamilies` once allocated.
No Secret is in the table, so a reported value is never a secret.

One exception to "never recreated": a PersistentVolumeClaim that was never bound (phase `Pending`) has no volume
and so no data; when its immutable fields differ it is `replaceable`, and the applier deletes it so that the
desired claim is created (a previous operator's claim of a class or volume that does not exist stays Pending
forever, and so would every pod that mounts it; so does one pre-bound to a volume that does not exist, when the
desired claim does not name that volume).
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal

from teamop.runtime.compare import is_subset, is_zero, parse_quantity
from teamop.runtime.fieldset import subtree
from teamop.runtime.kinds import GVK, gvk_of
from teamop.runtime.ownership import describe

Sameness = Literal["equal", "contained", "storage-request"]
"""How a desired value counts as the live one: `equal` — the same value (zero values as absent); `contained` — the
live value holds the desired one (where the server fills in defaults inside, e.g. a pod template); `storage-request`
— equal, or larger on a bound claim (a claim may grow, never shrink)."""


@dataclass(frozen=True)
class Immutable:
    path: tuple[str, ...]
    same: Sameness = "equal"
    settable_when_unset: bool = False


_PV_SOURCES = ("awsElasticBlockStore", "azureDisk", "azureFile", "cephfs", "cinder", "csi", "fc", "flexVolume",
               "flocker", "gcePersistentDisk", "glusterfs", "hostPath", "iscsi", "local", "nfs",
               "photonPersistentDisk", "portworxVolume", "quobyte", "rbd", "scaleIO", "storageos", "vsphereVolume")
_SELECTOR = (Immutable(("spec", "selector")),)

IMMUTABLE_FIELDS: dict[tuple[str, str], tuple[Immutable, ...]] = {
    ("", "PersistentVolumeClaim"): (
        Immutable(("spec", "storageClassName"), settable_when_unset=True),
        Immutable(("spec", "volumeName"), settable_when_unset=True),
        Immutable(("spec", "accessModes")),
        Immutable(("spec", "selector")),
        Immutable(("spec", "volumeMode")),
        Immutable(("spec", "dataSource")),
        Immutable(("spec", "dataSourceRef")),
        Immutable(("spec", "resources", "limits")),
        Immutable(("spec", "resources", "requests", "storage"), same="storage-request"),
    ),
    ("", "PersistentVolume"): (
        *(Immutable(("spec", source)) for source in _PV_SOURCES),
        Immutable(("spec", "volumeMode")),
        Immutable(("spec", "nodeAffinity"), settable_when_unset=True),
    ),
    ("", "Service"): (
        Immutable(("spec", "clusterIP")),
        Immutable(("spec", "clusterIPs")),
        Immutable(("spec", "ipFamilies")),
    ),
    ("apps", "Deployment"): _SELECTOR,
    ("apps", "ReplicaSet"): _SELECTOR,
    ("apps", "DaemonSet"): _SELECTOR,
    ("apps", "StatefulSet"): (
        *_SELECTOR,
        Immutable(("spec", "serviceName")),
        Immutable(("spec", "volumeClaimTemplates"), same="contained"),
        Immutable(("spec", "podManagementPolicy")),
    ),
    ("batch", "Job"): (
        *_SELECTOR,
        Immutable(("spec", "template"), same="contained"),
        Immutable(("spec", "completionMode")),
        Immutable(("spec", "podFailurePolicy")),
        Immutable(("spec", "backoffLimitPerIndex")),
        Immutable(("spec", "successPolicy")),
        Immutable(("spec", "managedBy")),
    ),
}

_ABSENT = object()
_SHOWN_VALUE_LENGTH = 80


@dataclass(frozen=True)
class Kept:
    """A field whose live value was kept although the desired object says otherwise."""

    object: str
    path: str
    live: Any
    desired: Any

    def __str__(self) -> str:
        return f"{self.object} {self.path}: kept {_shown(self.live)}, desired {_shown(self.desired)}"


def _shown(value: Any) -> str:
    if value is _ABSENT:
        return "(unset)"
    text = json.dumps(value, separators=(",", ":"), sort_keys=True)
    return text if len(text) <= _SHOWN_VALUE_LENGTH else text[:_SHOWN_VALUE_LENGTH - 1] + "…"


def _get(obj: Any, path: tuple[str, ...]) -> Any:
    for step in path:
        if not isinstance(obj, Mapping) or step not in obj or obj[step] is None:
            return _ABSENT
        obj = obj[step]
    return obj


def _set(obj: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set (or, with _ABSENT, remove) the value at `path`, copying the maps on the way: `obj` is a shallow copy of
    the desired object, whose nested maps must not change."""
    *parents, last = path
    for step in parents:
        child = obj.get(step)
        obj[step] = dict(child) if isinstance(child, Mapping) else {}
        obj = obj[step]
    if value is _ABSENT:
        obj.pop(last, None)
    else:
        obj[last] = copy.deepcopy(value)


def _is_set(value: Any) -> bool:
    return value is not _ABSENT and not is_zero(value)


def _same(rule: Immutable, desired: Any, live: Any, live_object: Mapping[str, Any]) -> bool:
    if rule.same == "contained":
        return is_subset(desired, live)
    if rule.same == "storage-request":
        want, have = parse_quantity(desired), parse_quantity(live)
        if want is None or have is None:
            return bool(desired == live)
        bound = (live_object.get("status") or {}).get("phase") == "Bound"
        return want == have or (bound and want > have)
    return is_subset(desired, live) and is_subset(live, desired)


def keep_immutable(
    desired: Mapping[str, Any],
    live: Mapping[str, Any],
    owned: Mapping[str, Any] | Callable[[], Mapping[str, Any]] | None = None,
) -> tuple[dict[str, Any], list[Kept]]:
    """`desired` with each immutable field the server would refuse to change set to its live value, and the
    differences so kept. `owned`: the fieldsV1 our manager owns (after any takeover), or a function giving it when
    needed; it says whether an apply that leaves a field out would remove it. `desired` itself is not changed."""
    gvk = gvk_of(desired)
    result = dict(desired)
    kept: list[Kept] = []
    for rule in IMMUTABLE_FIELDS.get((gvk.group, gvk.kind), ()):
        want, have = _get(desired, rule.path), _get(live, rule.path)
        if not _is_set(have):
            if _is_set(want) and not rule.settable_when_unset:
                _set(result, rule.path, _ABSENT)
                kept.append(Kept(describe(live), ".".join(rule.path), have, want))
            continue
        if not _is_set(want):
            if callable(owned):
                owned = owned()
            if owned is not None and subtree(owned, tuple(f"f:{step}" for step in rule.path)) is not None:
                _set(result, rule.path, have)
            continue
        if not _same(rule, want, have, live):
            kept.append(Kept(describe(live), ".".join(rule.path), have, want))
            _set(result, rule.path, have)
        elif rule.same == "contained":
            # what the server filled in inside is sent back: leaving it out of an atomic value would change it
            _set(result, rule.path, have)
    return result, kept



PERSISTENT_VOLUME = GVK("", "v1", "PersistentVolume")


def replaceable(live: Mapping[str, Any]) -> bool:
    """Whether `live` holds nothing that recreating it would lose: a claim never bound to a volume."""
    gvk = gvk_of(live)
    return (gvk.group, gvk.kind) == ("", "PersistentVolumeClaim") and (live.get("status") or {}).get("phase") == \
        "Pending"
