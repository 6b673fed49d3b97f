"""Run teamop's own controllers against the live cluster without writing anything, and collect what they would
change.

The controllers `teamop run` registers (`setup_operator`) run, unchanged, on a manager built as `teamop run`
builds it (the same applier, take-over managers and informers) but whose parts only look:
- its cache is listed once and then stops watching: one snapshot, into which the diff puts what an earlier step
  would have written (a product resource as it would be after the Site's apply);
- its client sends every write with `dryRun=All` and remembers it: each apply is compared with the live object
  (fields to change, fields a takeover would remove, adoption), each patch (the Site's finalizer) with the object
  before, each delete (a child no longer desired, a cluster-scoped volume) as a deletion;
- status writes are dropped, Events are collected.

So what the diff lists is exactly what the controllers would write for the live state — which objects the applier
finds different, keys from the site secret, the predecessor's Secret or generated, the database server from the
workload Secret — because it is their own code deciding. The Site is reconciled first, then each product resource
it applies. A controller that stops at an error stops here too, and the error is listed.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable, Mapping
from typing import Any, Literal

from teamop.controllers.kinds import SECRET, SITE
from teamop.controllers.registry import PRODUCT_KINDS, OperatorSettings, setup_operator
from teamop.controllers.secrets import decode_data, secret_reader
from teamop.diff.fields import FieldChange, object_changes, secret_changes
from teamop.diff.report import Action, ObjectChange, SiteDiff
from teamop.diff.takeover import Takeover, takeover, with_owners, without_fields
from teamop.runtime.apply import ObjectKey
from teamop.runtime.client import STRICT, Client
from teamop.runtime.errors import ApiError, BadRequest, Invalid, NotFound
from teamop.runtime.events import EventRecorder, EventType
from teamop.runtime.kinds import GVK, gvk_of
from teamop.runtime.kubeconfig import ApiClient
from teamop.runtime.manager import Manager
from teamop.runtime.ownership import controller_of
from teamop.runtime.reconcile import Reconciler, Request, Result
from teamop.runtime.status import StatusWriter
from teamop.runtime.store import Obj

GENERATED_SUFFIX = "-generated"
"""Secrets whose values teamop generates (`<site>-<component>-generated`)."""
SYNC_TIMEOUT = 120.0
PRODUCT_GVKS = frozenset(kind.gvk for kind in PRODUCT_KINDS)


def _named(obj: Mapping[str, Any]) -> str:
    return f"{obj.get('kind')}/{(obj.get('metadata') or {}).get('name')}"


def _change(action: Action, obj: Mapping[str, Any], *, fields: Iterable[FieldChange] = (),
            reason: str = "") -> ObjectChange:
    metadata = obj.get("metadata") or {}
    return ObjectChange(action, str(obj.get("kind")), str(metadata.get("name")), metadata.get("namespace"),
                        tuple(fields), reason)


def changed_fields(live: Mapping[str, Any], after: Mapping[str, Any]) -> list[FieldChange]:
    if after.get("kind") == "Secret":
        name = str((after.get("metadata") or {}).get("name", ""))
        return secret_changes(live, after, generated=name.endswith(GENERATED_SUFFIX))
    return object_changes(live, after)


class DiffClient(Client):
    """A client whose writes are all dry runs. The applies, patches and deletes it is asked for are remembered as
    changes: each apply compared with the live object it would change (and the fields a takeover would remove)."""

    def __init__(self, api_client: ApiClient, **options: Any) -> None:
        super().__init__(api_client, **{**options, "dry_run": True})
        self.take_over_managers: tuple[str, ...] = ()
        self.changes: list[ObjectChange] = []
        self.after: dict[ObjectKey, dict[str, Any]] = {}
        """Each object applied or patched, as it would be afterwards (after the takeover too)."""
        self.secret_values: list[str] = []
        """The values of the Secrets applied (for redaction)."""

    async def _live(self, gvk: GVK, name: str, namespace: str | None) -> dict[str, Any] | None:
        try:
            return await self.get(gvk, name, namespace)
        except NotFound:
            return None

    async def apply(self, obj: Mapping[str, Any], *, force: bool = True, subresource: str | None = None,
                    field_validation: str | None = STRICT, field_manager: str | None = None) -> dict[str, Any]:
        if subresource is not None:
            return await super().apply(obj, force=force, subresource=subresource,
                                       field_validation=field_validation, field_manager=field_manager)
        gvk, metadata = gvk_of(obj), obj.get("metadata") or {}
        key: ObjectKey = (gvk, metadata.get("namespace") or None, metadata["name"])
        if obj.get("kind") == "Secret":
            self.secret_values += decode_data(obj).values()
        live = await self._live(gvk, key[2], key[1])
        try:
            applied = await super().apply(obj, force=force, field_validation=field_validation,
                                          field_manager=field_manager)
        except (Invalid, BadRequest) as error:
            self.changes.append(_change("error", obj, reason=f"the API server would refuse it: {error.message}"))
            raise
        await self._record_apply(key, obj, live, applied, field_manager or self.field_manager)
        return applied

    async def _record_apply(self, key: ObjectKey, obj: Mapping[str, Any], live: Mapping[str, Any] | None,
                            applied: dict[str, Any], field_manager: str) -> None:
        if live is None:
            self.after[key] = applied
            self.changes.append(_change("create", obj))
            return
        found = takeover(live, obj, self.take_over_managers, field_manager)
        after = self.after[key] = await self._after_takeover(live, applied, found)
        fields = sorted(with_owners(changed_fields(live, after), found), key=lambda change: change.path)
        reasons = []
        if controller_of(live) is None and controller_of(obj) is not None:
            reasons.append("no controller")
        if found:
            reasons.append("fields owned by " + ", ".join(found.managers))
        if reasons:
            self.changes.append(_change("adopt", obj, fields=fields, reason="; ".join(reasons)))
        elif fields:
            self.changes.append(_change("change", obj, fields=fields))

    async def _after_takeover(self, live: Mapping[str, Any], applied: dict[str, Any],
                              found: Takeover) -> dict[str, Any]:
        """The object as the apply after the takeover leaves it: without the fields the takeover removes, as the
        server would store that (a dry-run update: a field the server defaults comes back as it would set it)."""
        if not found.removed:
            return applied
        body = without_fields(applied, found.removed)
        body["metadata"] = {**body["metadata"], "resourceVersion": live["metadata"]["resourceVersion"]}
        return await self.replace(body)

    async def patch(self, gvk: GVK, name: str, namespace: str | None, patch: Any, *,
                    patch_type: Literal["merge", "json", "strategic"] = "merge", subresource: str | None = None,
                    field_manager: str | None = None) -> dict[str, Any]:
        before = await self._live(gvk, name, namespace) if subresource is None else None
        after = await super().patch(gvk, name, namespace, patch, patch_type=patch_type, subresource=subresource,
                                    field_manager=field_manager)
        if before is not None:
            self.after[(gvk, namespace or None, name)] = after
            fields = changed_fields(before, after)
            if fields:  # a takeover's patch changes managedFields only: not a change of the object
                self.changes.append(_change("change", after, fields=fields))
        return after

    async def delete(self, gvk: GVK, name: str, namespace: str | None = None, *,
                     propagation_policy: str = "Background", uid: str | None = None) -> None:
        await super().delete(gvk, name, namespace, propagation_policy=propagation_policy, uid=uid)
        self.changes.append(ObjectChange("delete", gvk.kind, name, namespace))

    def take_changes(self) -> tuple[list[ObjectChange], dict[ObjectKey, dict[str, Any]]]:
        """The changes and objects-after recorded so far, forgotten here."""
        taken = self.changes, self.after
        self.changes, self.after = [], {}
        return taken


class DroppedStatus(StatusWriter):
    """Status writes are not changes a user previews: remembered, never sent."""

    def __init__(self, client: Client) -> None:
        super().__init__(client)
        self.last: dict[tuple[str, str], Mapping[str, Any]] = {}

    async def update(self, obj: Mapping[str, Any], status: Mapping[str, Any]) -> bool:
        self.last[(str(obj.get("kind")), str(obj["metadata"]["name"]))] = status
        return False


class CollectedEvents(EventRecorder):
    """Events the controllers would record, kept as text."""

    def __init__(self, client: Client) -> None:
        super().__init__(client)
        self.notes: list[tuple[EventType, str]] = []

    def record(self, obj: Mapping[str, Any], type_: EventType, reason: str, note: str, *,
               action: str = "Reconcile") -> None:
        self.notes.append((type_, f"{_named(obj)}: {reason}: {note}"))


class DiffManager(Manager):
    """A manager whose controllers look but never write (see the module's description)."""

    def __init__(self, client: DiffClient, namespace: str, *, settings: OperatorSettings,
                 take_over_field_managers: Collection[str]) -> None:
        super().__init__(client, namespaces=[namespace], health_addr=None, metrics_addr=None,
                         take_over_field_managers=take_over_field_managers)
        client.take_over_managers = tuple(take_over_field_managers)
        self.namespace = namespace
        self.diff_client = client
        self.dropped_status = self.status = DroppedStatus(client)
        self.collected_events = self.events = CollectedEvents(client)
        self._failures: list[ObjectChange] = []
        setup_operator(self, settings)

    async def sync(self, timeout: float = SYNC_TIMEOUT) -> None:
        """List every kind the controllers read, as `Manager.run` does before reconciling; then stop watching:
        the diff works on that one snapshot."""
        for filtered in (False, True):
            for controller in self.controllers:
                await controller.register_sources(filtered=filtered)
        await self.cache.start()
        await self.cache.wait_for_sync(timeout)
        await self.cache.stop()

    async def close(self) -> None:
        await self.cache.stop()

    def put(self, obj: Obj) -> None:
        """Make the cache hold `obj` as an earlier step would have written it."""
        self.cache.informer_for(gvk_of(obj), obj["metadata"].get("namespace")).store.put(obj)

    def reconciler_for(self, gvk: GVK) -> Reconciler | None:
        return next((c.reconciler for c in self.controllers if c.primary == gvk), None)

    def secret_values(self) -> list[str]:
        """Every secret value the diff may have seen: teamop's Secrets, those read by name, and the ones applied."""
        values: list[str] = list(self.diff_client.secret_values)
        for secret in [*self.cache.list(SECRET, self.namespace), *secret_reader(self).kept()]:
            values += decode_data(secret).values()
            values += (secret.get("data") or {}).values()
        return values

    async def _reconcile(self, gvk: GVK, name: str) -> None:
        reconciler = self.reconciler_for(gvk)
        assert reconciler is not None
        try:
            result = await reconciler.reconcile(Request(self.namespace, name))
        except (Invalid, BadRequest):
            return  # the client named the object the API server refuses; the controller stops there
        except ApiError:
            raise  # the cluster cannot be read: no diff
        except Exception as error:  # the controller would fail the same way, and retry
            self._failures.append(ObjectChange("error", gvk.kind, name, self.namespace,
                                               reason=f"the {gvk.kind} controller fails: {error}"))
            return
        if isinstance(result, Result) and result.requeue:
            # The controller failed (its status says why) and would retry: nothing more of it is applied.
            status = self.dropped_status.last.get((gvk.kind, name)) or {}
            ready: Mapping[str, Any] = next(
                (c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
            reason = f"{ready.get('reason', 'Failed')}: {ready.get('message', '')}".rstrip(": ")
            self._failures.append(ObjectChange("error", gvk.kind, name, self.namespace, reason=reason))

    def _products_of(self, site_name: str, changes: list[ObjectChange],
                     after: Mapping[ObjectKey, dict[str, Any]]) -> list[tuple[GVK, str]]:
        """The product resources the Site keeps, each put in the cache as the Site's apply would leave it: those
        it applies, and those it controls and finds as desired (not deleted)."""
        site = self.cache.get(SITE, site_name, self.namespace) or {}
        uid = (site.get("metadata") or {}).get("uid")
        deleted = {(change.kind, change.name) for change in changes if change.action == "delete"}
        products: list[tuple[GVK, str]] = []
        for kind in PRODUCT_KINDS:
            for product in self.cache.list(kind.gvk, self.namespace):
                name = product["metadata"]["name"]
                controller = controller_of(product) or {}
                if controller.get("uid") == uid and (kind.gvk.kind, name) not in deleted:
                    products.append((kind.gvk, name))
            for (gvk, _, name), body in after.items():
                if gvk == kind.gvk:
                    self.put(body)
                    if (gvk, name) not in products:
                        products.append((gvk, name))
        return products

    async def diff_site(self, name: str) -> SiteDiff:
        """What reconciling Site `name`, and then each product resource it wants, would change."""
        await self._reconcile(SITE, name)
        changes, after = self.diff_client.take_changes()
        site = after.pop((SITE, self.namespace, name), None)
        if site is not None and not after:
            # The Site controller added its finalizer and stopped; it comes back with the finalizer in its cache.
            self.put(site)
            await self._reconcile(SITE, name)
            more, after = self.diff_client.take_changes()
            changes += more
        for gvk, product in self._products_of(name, changes, after):
            await self._reconcile(gvk, product)
        more, _ = self.diff_client.take_changes()
        changes = sorted([*changes, *more, *self._failures], key=_order)
        diff = SiteDiff(name, self.namespace, changes, [text for _, text in self.collected_events.notes])
        self._failures, self.collected_events.notes = [], []
        return diff


_ACTION_ORDER = {"create": 0, "change": 1, "adopt": 2, "delete": 3, "error": 4}


def _order(change: ObjectChange) -> tuple[int, str, str]:
    return _ACTION_ORDER[change.action], change.kind, change.name
