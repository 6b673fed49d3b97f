"""Proof that an operator has finished the work it would do, for tests that then assert what it did *not* do (no
write, no further reconcile). Every wait here ends on a condition, never on a quiet period of the clock:

- every object of each controller's kind has been reconciled to completion since a mark, and no key is queued or
  in progress (`wait_reconciled_since`);
- the cache holds exactly what the API server holds, so no watch event is still on its way (`cache_differences`);
- reconciling everything once more writes nothing (`wait_settled`).
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping

from teamop.runtime.manager import Manager
from teamop.runtime.reconcile import Reconciler, Request, Result

ReconcileKey = tuple[str, Request]  # (controller name, key)


def _finished(result: Result | None) -> bool:
    """As the controller reads a result: `requeue` without `requeue_after` means "not done, retry with backoff"."""
    return result is None or not result.requeue or (result.requeue_after or 0) > 0


class _Counted:
    """A reconciler that counts the reconciles of the one it wraps that finished (no error, no retry asked)."""

    def __init__(self, inner: Reconciler, controller: str, finished: Counter[ReconcileKey]) -> None:
        self.inner = inner
        self.controller = controller
        self.finished = finished

    async def reconcile(self, request: Request) -> Result | None:
        result = await self.inner.reconcile(request)
        if _finished(result):
            self.finished[(self.controller, request)] += 1
        return result


class ReconcileLog:
    """Counts, per controller and key, the reconciles that finished without an error or a retry request."""

    def __init__(self) -> None:
        self.finished: Counter[ReconcileKey] = Counter()

    def install(self, manager: Manager) -> None:
        """Count the reconciles of every controller added to `manager` so far (call it before the manager runs).
        Usable as a setup function after the controllers' own."""
        for controller in manager.controllers:
            controller.reconciler = _Counted(controller.reconciler, controller.name, self.finished)

    def mark(self) -> Counter[ReconcileKey]:
        return self.finished.copy()

    def pending(self, manager: Manager, since: Mapping[ReconcileKey, int]) -> list[str]:
        """Why `manager` has not finished since `since`: keys queued or in progress, and cached objects of a
        controller's kind with no finished reconcile since (empty when it has finished)."""
        reasons: list[str] = []
        for controller in manager.controllers:
            if controller.queue.busy:
                reasons.append(f"{controller.name}: {controller.queue.busy} key(s) queued or in progress")
            for obj in controller.cache.list(controller.primary):
                key = (controller.name, Request.of(obj))
                if self.finished[key] <= since.get(key, 0):
                    reasons.append(f"{controller.name}: {key[1]} not reconciled")
        return reasons


async def wait_reconciled_since(
    manager: Manager, log: ReconcileLog, since: Mapping[ReconcileKey, int], *, timeout: float = 120
) -> None:
    """Wait until every cached object of each controller's kind has been reconciled to completion since `since`
    and no key is queued or in progress."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    while reasons := log.pending(manager, since):
        if loop.time() > deadline:
            raise AssertionError(f"the operator did not finish within {timeout:.0f} s: {'; '.join(reasons)}")
        await asyncio.sleep(0.05)


async def cache_differences(manager: Manager) -> list[str]:
    """Objects whose cached copy is not the API server's (missing, extra, or at another resourceVersion): a watch
    event still on its way. Lists with the manager's own client (reads only)."""
    differences: list[str] = []
    for informer in manager.cache.informers():
        if not informer.started:  # stopped: its kind is no longer served (see `served`)
            continue
        info = await manager.client.kinds.resolve(informer.gvk)
        scopes = list(informer.namespaces) if info.namespaced and informer.namespaces else [None]
        live: dict[tuple[str, str], str] = {}
        for scope in scopes:
            items, _ = await manager.client.list(
                informer.gvk, scope, label_selector=informer.label_selector, field_selector=informer.field_selector
            )
            live.update({_name(obj): obj["metadata"]["resourceVersion"] for obj in items})
        cached = {_name(obj): obj["metadata"]["resourceVersion"] for obj in informer.list()}
        for key in sorted(live.keys() | cached.keys()):
            if live.get(key) != cached.get(key):
                differences.append(f"{informer.gvk.kind} {'/'.join(filter(None, key))}: cached "
                                   f"{cached.get(key)}, live {live.get(key)}")
    return differences


def _name(obj: Mapping[str, object]) -> tuple[str, str]:
    metadata = obj["metadata"]
    assert isinstance(metadata, Mapping)
    return str(metadata.get("namespace") or ""), str(metadata["name"])


async def wait_settled(manager: Manager, log: ReconcileLog, *, timeout: float = 120) -> None:
    """Wait until the operator has nothing left to do: one more reconcile of every object writes nothing, and
    afterwards the cache equals the API server and no key is queued or in progress. A write in a pass (a trailing
    status update, say) starts another pass."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout
    last = ""
    while loop.time() <= deadline:
        writes = manager.client.requests.writes()
        since = log.mark()
        for controller in manager.controllers:
            controller.enqueue_all()
        await wait_reconciled_since(manager, log, since, timeout=max(deadline - loop.time(), 0))
        differences = await cache_differences(manager)
        made = manager.client.requests.writes() - writes
        if not made and not differences and not log.pending(manager, since):
            return
        last = f"{made} write(s) in the last pass; cache differences: {differences}"
        await asyncio.sleep(0.05)
    raise AssertionError(f"the operator did not settle within {timeout:.0f} s: {last}")
