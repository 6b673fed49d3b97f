"""Leader election on a `coordination.k8s.io/v1` Lease, as client-go's leaderelection package does it.

- A candidate tries every `retry_period` to take the Lease: it may when the Lease does not exist, has no holder, or
  its holder has not renewed it for `lease_duration` — measured on *our* clock from when we last saw the record
  change, so clock skew between machines does not matter.
- The leader renews every `retry_period`; if it cannot renew for `renew_deadline`, it has lost the lease and must
  stop at once (`hold` returns), before another candidate may take over (lease_duration > renew_deadline).
- `release` on a graceful stop empties the holder (and shortens the lease to 1 s), so a standby takes over at
  its next try instead of waiting for the lease to expire.
Writes use the Lease's resourceVersion: two candidates racing for it cannot both win.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import random
import socket
import time
import uuid
from collections.abc import Mapping
from typing import Any

import structlog

from teamop.runtime import metrics
from teamop.runtime.client import Client
from teamop.runtime.errors import AlreadyExists, ApiError, NotFound
from teamop.runtime.kinds import GVK

log = structlog.get_logger(__name__)

LEASE_GVK = GVK("coordination.k8s.io", "v1", "Lease")


def _micro_time(moment: dt.datetime | None = None) -> str:
    return (moment or dt.datetime.now(dt.UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def default_identity() -> str:
    return f"{socket.gethostname()}_{uuid.uuid4().hex[:8]}"


class LeaderElector:
    def __init__(
        self,
        client: Client,
        *,
        lease_name: str,
        lease_namespace: str,
        identity: str | None = None,
        lease_duration: float = 15.0,
        renew_deadline: float = 10.0,
        retry_period: float = 2.0,
    ) -> None:
        if not lease_duration > renew_deadline > retry_period > 0:
            raise ValueError("need lease_duration > renew_deadline > retry_period > 0")
        self.client = client
        self.lease_name = lease_name
        self.lease_namespace = lease_namespace
        self.identity = identity or default_identity()
        self.lease_duration = lease_duration
        self.renew_deadline = renew_deadline
        self.retry_period = retry_period
        self._observed: Mapping[str, Any] | None = None
        self._observed_at = 0.0
        self._leading = False
        self._status = metrics.leader_election_master_status.labels(lease_name)
        self._status.set(0)
        self._log = log.bind(lease=f"{lease_namespace}/{lease_name}", identity=self.identity)

    @property
    def is_leader(self) -> bool:
        return self._leading

    @property
    def observed_holder(self) -> str | None:
        if self._observed is None:
            return None
        return (self._observed.get("spec") or {}).get("holderIdentity") or None

    async def acquire(self) -> None:
        """Return once we hold the lease (tries every retry_period, with jitter)."""
        self._log.info("waiting for leadership")
        while True:
            if await self._try_acquire_or_renew():
                break
            await asyncio.sleep(self.retry_period * random.uniform(1.0, 1.2))
        self._set_leading(True)
        self._log.info("became leader")

    async def hold(self) -> None:
        """Renew the lease until renewal fails for renew_deadline; returns when leadership is lost."""
        last_renewed = time.monotonic()
        while True:
            await asyncio.sleep(self.retry_period)
            if await self._try_acquire_or_renew():
                last_renewed = time.monotonic()
                continue
            if time.monotonic() - last_renewed >= self.renew_deadline:
                self._set_leading(False)
                self._log.error("leadership lost: lease not renewed within the renew deadline")
                return

    async def release(self) -> None:
        """Give the lease up (graceful stop), so a standby takes it at its next try."""
        if not self._leading:
            return
        self._set_leading(False)
        lease = self._observed
        if lease is None or (lease.get("spec") or {}).get("holderIdentity") != self.identity:
            return
        now = _micro_time()
        released = {
            **lease,
            "spec": {
                **(lease.get("spec") or {}),
                "holderIdentity": None,
                "leaseDurationSeconds": 1,
                "renewTime": now,
                "acquireTime": now,
            },
        }
        try:
            await asyncio.wait_for(self.client.replace(released), self.retry_period)
            self._log.info("released leadership")
        except (ApiError, TimeoutError) as error:
            self._log.warning("could not release the lease", error=str(error))

    def _set_leading(self, leading: bool) -> None:
        self._leading = leading
        self._status.set(1 if leading else 0)

    def _observe(self, lease: Mapping[str, Any]) -> None:
        previous = self._observed
        if previous is None or (previous.get("metadata") or {}).get("resourceVersion") != (
            lease.get("metadata") or {}
        ).get("resourceVersion"):
            self._observed_at = time.monotonic()
        self._observed = lease

    async def _try_acquire_or_renew(self) -> bool:
        try:
            return await asyncio.wait_for(self._attempt(), self.renew_deadline)
        except (ApiError, TimeoutError, OSError) as error:
            self._log.debug("lease attempt failed", error=str(error))
            return False

    async def _attempt(self) -> bool:
        now = dt.datetime.now(dt.UTC)
        try:
            lease = await self.client.get(LEASE_GVK, self.lease_name, self.lease_namespace)
        except NotFound:
            return await self._create(now)
        self._observe(lease)
        spec = lease.get("spec") or {}
        holder = spec.get("holderIdentity") or ""
        duration = float(spec.get("leaseDurationSeconds") or self.lease_duration)
        if holder and holder != self.identity and time.monotonic() - self._observed_at < duration:
            return False
        transitions = int(spec.get("leaseTransitions") or 0)
        new_spec = {
            **spec,
            "holderIdentity": self.identity,
            "leaseDurationSeconds": int(self.lease_duration),
            "renewTime": _micro_time(now),
        }
        if holder != self.identity:
            new_spec["acquireTime"] = _micro_time(now)
            new_spec["leaseTransitions"] = transitions + 1
        updated = await self.client.replace({**lease, "spec": new_spec})
        self._observe(updated)
        return True

    async def _create(self, now: dt.datetime) -> bool:
        lease = {
            "apiVersion": LEASE_GVK.api_version,
            "kind": "Lease",
            "metadata": {"name": self.lease_name, "namespace": self.lease_namespace},
            "spec": {
                "holderIdentity": self.identity,
                "leaseDurationSeconds": int(self.lease_duration),
                "acquireTime": _micro_time(now),
                "renewTime": _micro_time(now),
                "leaseTransitions": 0,
            },
        }
        try:
            created = await self.client.create(lease)
        except AlreadyExists:
            return False
        self._observe(created)
        return True
