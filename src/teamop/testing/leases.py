"""The history of one Lease as the API server records it, for leader-election tests that measure a handover from
the Lease's own times (the holders' renewTime and acquireTime) rather than from when a busy test noticed it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from teamop.runtime.client import Client
from teamop.runtime.informer import EventHandler, Informer
from teamop.runtime.leaderelection import LEASE_GVK


def parse_micro_time(value: str) -> dt.datetime:
    return dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=dt.UTC)


@dataclass(frozen=True)
class LeaseRecord:
    """One version of a Lease: who held it, since when, when it was last renewed, for how long."""

    holder: str
    acquired: dt.datetime | None
    renewed: dt.datetime | None
    duration: float

    @classmethod
    def of(cls, lease: Mapping[str, Any]) -> LeaseRecord:
        spec = lease.get("spec") or {}
        acquired, renewed = spec.get("acquireTime"), spec.get("renewTime")
        return cls(
            holder=spec.get("holderIdentity") or "",
            acquired=parse_micro_time(acquired) if acquired else None,
            renewed=parse_micro_time(renewed) if renewed else None,
            duration=float(spec.get("leaseDurationSeconds") or 0),
        )

    @property
    def expires(self) -> dt.datetime:
        """When this record lets another candidate take the lease."""
        assert self.renewed is not None
        return self.renewed + dt.timedelta(seconds=self.duration)


class _Recorder(EventHandler):
    def __init__(self, name: str, records: list[LeaseRecord]) -> None:
        self.name = name
        self.records = records

    def on_add(self, obj: Mapping[str, Any]) -> None:
        self._record(obj)

    def on_update(self, old: Mapping[str, Any], new: Mapping[str, Any]) -> None:
        self._record(new)

    def on_delete(self, obj: Mapping[str, Any]) -> None:
        pass

    def _record(self, obj: Mapping[str, Any]) -> None:
        if obj["metadata"]["name"] == self.name:
            self.records.append(LeaseRecord.of(obj))


class LeaseHistory:
    """Every version of Lease `namespace/name` the API server reports while it runs (a watch sees each write).

        async with LeaseHistory(client, namespace, "my-lease") as history:
            ...
            history.last_by("old-leader"), history.first_by("new-leader")
    """

    def __init__(self, client: Client, namespace: str, name: str) -> None:
        self.records: list[LeaseRecord] = []
        self._informer = Informer(client, LEASE_GVK, namespace=namespace, field_selector=f"metadata.name={name}")
        self._informer.add_handler(_Recorder(name, self.records))

    async def __aenter__(self) -> LeaseHistory:
        self._informer.start()
        await self._informer.wait_for_sync(timeout=30)
        return self

    async def __aexit__(self, *_: object) -> None:
        await self._informer.stop()

    def holders(self) -> list[str]:
        """The holders in the order they held the lease ("" for a released lease), each once per tenure."""
        tenures: list[str] = []
        for record in self.records:
            if not tenures or tenures[-1] != record.holder:
                tenures.append(record.holder)
        return tenures

    def last_of_tenure(self, holder: str) -> LeaseRecord:
        """The last record of `holder`'s first tenure: its last renewal (or its release, for holder "")."""
        records = iter(self.records)
        for record in records:
            if record.holder == holder:
                last = record
                break
        else:
            raise AssertionError(f"{holder!r} never held the lease: {self.holders()}")
        for record in records:
            if record.holder != holder:
                break
            last = record
        return last

    def first_by(self, holder: str) -> LeaseRecord:
        """The record in which `holder` took the lease."""
        found = next((record for record in self.records if record.holder == holder), None)
        if found is None:
            raise AssertionError(f"{holder!r} never held the lease: {self.holders()}")
        return found
