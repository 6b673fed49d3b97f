"""Creates, applies and updates are sent with `fieldValidation=Strict`: a field the API server does not know is
refused with an error naming it, instead of being dropped (which would make the same write go out on every
reconcile, the dropped field never there). A server-side apply whose body does not fit the kind's schema is refused
by the API server whatever the validation, with a 500 that teamop takes for what it is: a bad request, not retried."""

from __future__ import annotations

from typing import Any

import pytest

from teamop.runtime.apply import Applier
from teamop.runtime.cache import InformerCache
from teamop.runtime.cachereader import CacheReader
from teamop.runtime.client import Client
from teamop.runtime.errors import BadRequest, NotFound
from teamop.runtime.kinds import GVK

pytestmark = pytest.mark.controlplane

CONFIG_MAP = GVK("", "v1", "ConfigMap")


def config_map(namespace: str, **extra: Any) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "settings", "namespace": namespace},
            "data": {"mode": "on"}, **extra}


async def test_an_apply_with_a_field_the_server_does_not_know_is_refused_at_once(
    client: Client, namespace: str
) -> None:
    before = client.requests.snapshot()
    with pytest.raises(BadRequest, match="datta"):
        await client.apply(config_map(namespace, datta={"mode": "off"}))
    assert (client.requests.snapshot() - before).verb("apply") == 1
    with pytest.raises(NotFound):
        await client.get(CONFIG_MAP, "settings", namespace)


async def test_a_create_with_a_field_the_server_does_not_know_is_refused(client: Client, namespace: str) -> None:
    with pytest.raises(BadRequest, match="datta"):
        await client.create(config_map(namespace, datta={"mode": "off"}))


async def test_an_update_with_a_field_the_server_does_not_know_is_refused(client: Client, namespace: str) -> None:
    created = await client.create(config_map(namespace))
    with pytest.raises(BadRequest, match="datta"):
        await client.replace({**created, "datta": {"mode": "off"}})
    assert (await client.get(CONFIG_MAP, "settings", namespace))["data"] == {"mode": "on"}


async def test_a_child_with_a_misspelt_field_fails_its_owners_reconcile(client: Client, namespace: str) -> None:
    owner = await client.create({"apiVersion": "v1", "kind": "ConfigMap",
                                 "metadata": {"name": "owner", "namespace": namespace}})
    cache = InformerCache(client)
    try:
        applier = Applier(client, CacheReader(cache, namespaces=namespace))
        with pytest.raises(BadRequest, match="datta"):
            await applier.ensure_children(owner, [config_map(namespace, datta={"mode": "off"})],
                                          owned_kinds=[CONFIG_MAP])
    finally:
        await cache.stop()
