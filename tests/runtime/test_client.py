"""The client: CRUD, server-side apply, patches and status on core, apps and a CRD against the real API server;
typed errors; the request counter; retries and throttling (against a small local HTTP server that misbehaves on
purpose, since a real API server cannot be made to answer 429 or 503 on demand)."""

from __future__ import annotations

import asyncio
import json
import time
import types
import uuid
from collections.abc import AsyncIterator
from contextlib import aclosing
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from kubernetes_asyncio.client import ApiClient, Configuration
from prometheus_client import CollectorRegistry

from teamop.runtime import errors, throttle
from teamop.runtime.client import Client, WatchEvent
from teamop.runtime.kinds import GVK
from teamop.runtime.requestcount import RequestCounter
from teamop.runtime.throttle import TokenBucket
from teamop.runtime.transport import RetryPolicy
from teamop.testing.controlplane import ControlPlane

CONFIGMAP = GVK("", "v1", "ConfigMap")
DEPLOYMENT = GVK("apps", "v1", "Deployment")
WIDGET = GVK("io.runtime.teamop.dev", "v1", "Widget")
WIDGET_CRD = Path(__file__).with_name("io-widget-crd.yaml")


# -- pure parts ---------------------------------------------------------------------------------------------------


def test_errors_are_typed_from_the_status_body() -> None:
    def status(code: int, reason: str, **details: Any) -> bytes:
        return json.dumps({"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": f"m{code}",
                           "reason": reason, "code": code, "details": details}).encode()

    assert type(errors.error_from_response(404, status(404, "NotFound"))) is errors.NotFound
    assert type(errors.error_from_response(409, status(409, "AlreadyExists"))) is errors.AlreadyExists
    assert type(errors.error_from_response(409, status(409, "Conflict"))) is errors.Conflict
    assert type(errors.error_from_response(410, status(410, "Expired"))) is errors.Gone
    assert type(errors.error_from_response(403, status(403, "Forbidden"))) is errors.Forbidden
    assert type(errors.error_from_response(503, status(503, "ServiceUnavailable"))) is errors.ServerError
    busy = errors.error_from_response(429, status(429, "TooManyRequests", retryAfterSeconds=3), "7")
    assert isinstance(busy, errors.TooManyRequests)
    assert busy.retry_after == 7.0
    invalid = errors.error_from_response(422, status(422, "Invalid", causes=[
        {"reason": "FieldValueInvalid", "message": "Invalid value: -1", "field": "spec.replicas"}]))
    assert isinstance(invalid, errors.Invalid)
    assert invalid.causes == [errors.FieldCause("spec.replicas", "FieldValueInvalid", "Invalid value: -1")]
    plain = errors.error_from_response(502, b"<html>bad gateway</html>")
    assert isinstance(plain, errors.ServerError)
    assert plain.status == 502
    assert "bad gateway" in plain.message


def test_request_counter_counts_and_feeds_prometheus() -> None:
    registry = CollectorRegistry()
    counter = RequestCounter(registry)
    first = counter.snapshot()
    counter.record("GET", 200, "get", "configmaps")
    counter.record("PATCH", 200, "apply", "configmaps")
    counter.record("DELETE", 404, "delete", "secrets")
    counter.record("GET", None, "list", "secrets")
    assert (counter.total(), counter.writes()) == (4, 2)
    spent = counter.snapshot() - first
    assert spent.by_method_code == {("GET", "200"): 1, ("PATCH", "200"): 1, ("DELETE", "404"): 1,
                                    ("GET", "<error>"): 1}
    assert spent.verb("apply") == 1
    assert spent.verb("get", "configmaps") == 1
    assert spent.writes() == 2
    assert registry.get_sample_value("rest_client_requests_total", {"code": "200", "method": "PATCH"}) == 1.0
    assert registry.get_sample_value("rest_client_requests_total", {"code": "<error>", "method": "GET"}) == 1.0


class StoppedClock:
    """Time that moves only when the code under test sleeps: the bucket's waits, whatever else the machine does."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def monotonic(self) -> float:
        return self.now

    async def sleep(self, delay: float) -> None:
        self.sleeps.append(delay)
        self.now += delay


async def test_token_bucket_spaces_requests_after_the_burst(monkeypatch: pytest.MonkeyPatch) -> None:
    clock = StoppedClock()
    monkeypatch.setattr(throttle, "time", clock)
    monkeypatch.setattr(throttle, "asyncio", types.SimpleNamespace(**{**vars(asyncio), "sleep": clock.sleep}))
    bucket = TokenBucket(qps=50, burst=5)
    started = clock.now
    for _ in range(15):
        await bucket.acquire()
    assert clock.sleeps == pytest.approx([1 / 50] * 10)  # 5 free, then 10 at 50/s
    assert clock.now - started == pytest.approx(0.2)


# -- retries against a misbehaving HTTP server ---------------------------------------------------------------------


class FlakyServer:
    """Answers each request with the next scripted (status, headers, body); records what it saw."""

    def __init__(self) -> None:
        self.script: list[tuple[int, dict[str, str], dict[str, Any]]] = []
        self.seen: list[tuple[str, str]] = []
        self.app = web.Application()
        self.app.router.add_route("*", "/{tail:.*}", self.handle)

    async def handle(self, request: web.Request) -> web.Response:
        self.seen.append((request.method, request.path_qs))
        status, headers, body = self.script.pop(0) if self.script else (200, {}, {"kind": "ConfigMap"})
        return web.json_response(body, status=status, headers=headers)


def status_body(code: int, reason: str) -> dict[str, Any]:
    return {"kind": "Status", "apiVersion": "v1", "status": "Failure", "message": reason, "reason": reason,
            "code": code}


@pytest.fixture
async def flaky() -> AsyncIterator[tuple[FlakyServer, Client]]:
    server = FlakyServer()
    runner = web.AppRunner(server.app)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    client = Client(ApiClient(Configuration(host=f"http://127.0.0.1:{port}")), registry=CollectorRegistry(),
                    retry=RetryPolicy(max_retries=3, base_delay=0.01, max_delay=0.05))
    yield server, client
    await client.close()
    await runner.cleanup()


async def test_get_retries_429_honouring_retry_after_and_5xx(flaky: tuple[FlakyServer, Client]) -> None:
    server, client = flaky
    server.script = [(429, {"Retry-After": "1"}, status_body(429, "TooManyRequests")),
                     (503, {}, status_body(503, "ServiceUnavailable")),
                     (200, {}, {"kind": "ConfigMap", "metadata": {"name": "a"}})]
    started = time.monotonic()
    obj = await client.get(CONFIGMAP, "a", "ns")
    assert obj["metadata"]["name"] == "a"
    assert time.monotonic() - started >= 1.0  # waited as Retry-After said
    assert len(server.seen) == 3
    assert client.requests.snapshot().by_method_code == {("GET", "429"): 1, ("GET", "503"): 1, ("GET", "200"): 1}


async def test_retries_give_up_with_the_typed_error(flaky: tuple[FlakyServer, Client]) -> None:
    server, client = flaky
    server.script = [(500, {}, status_body(500, "InternalError"))] * 10
    with pytest.raises(errors.ServerError):
        await client.get(CONFIGMAP, "a", "ns")
    assert len(server.seen) == 4  # the first try and three retries


async def test_create_is_not_retried_on_5xx_but_is_on_429(flaky: tuple[FlakyServer, Client]) -> None:
    server, client = flaky
    cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "ns"}}
    server.script = [(504, {}, status_body(504, "Timeout"))]
    with pytest.raises(errors.ServerError):
        await client.create(cm)
    assert len(server.seen) == 1  # a POST may have happened: never sent twice

    server.script = [(429, {"Retry-After": "0"}, status_body(429, "TooManyRequests"))]
    await client.create(cm)
    assert len(server.seen) == 3  # 429 means the server did not act on it: safe to send again

    server.script = [(503, {}, status_body(503, "ServiceUnavailable"))]
    await client.apply(cm)  # apply is idempotent
    assert [m for m, _ in server.seen[3:]] == ["PATCH", "PATCH"]


async def test_connection_refused_is_retried_then_raised_as_connection_error() -> None:
    client = Client(ApiClient(Configuration(host="http://127.0.0.1:9")), registry=CollectorRegistry(),
                    retry=RetryPolicy(max_retries=2, base_delay=0.01))
    try:
        with pytest.raises(errors.ApiConnectionError):
            await client.create({"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "a", "namespace": "n"}})
        assert client.requests.snapshot().by_method_code == {("POST", "<error>"): 3}
    finally:
        await client.close()


async def test_qps_limit_is_off_by_default_and_throttles_when_set(flaky: tuple[FlakyServer, Client]) -> None:
    _, unlimited = flaky
    assert unlimited._transport.bucket is None
    host = unlimited._transport.config.host
    limited = Client(ApiClient(Configuration(host=host)), qps=20, registry=CollectorRegistry())
    try:
        started = time.monotonic()
        await asyncio.gather(*(limited.get(CONFIGMAP, "a", "ns") for _ in range(40)))
        assert time.monotonic() - started >= 0.4  # burst 30 (1.5 x qps), then 10 more at 20/s
    finally:
        await limited.close()


# -- against the real API server -----------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def widget_crd(controlplane: ControlPlane) -> GVK:
    controlplane.kubectl("apply", "--server-side", "-f", str(WIDGET_CRD))
    controlplane.kubectl("wait", "--for=condition=Established", "--timeout=60s", "crd/widgets.io.runtime.teamop.dev")
    return WIDGET


@pytest.fixture
async def client(controlplane: ControlPlane) -> AsyncIterator[Client]:
    client = await Client.from_kubeconfig(str(controlplane.kubeconfig), registry=CollectorRegistry())
    yield client
    await client.close()


def configmap(name: str, namespace: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": name, "namespace": namespace},
            "data": data}


def deployment(name: str, namespace: str, replicas: int = 1) -> dict[str, Any]:
    labels = {"app": name}
    return {
        "apiVersion": "apps/v1", "kind": "Deployment", "metadata": {"name": name, "namespace": namespace},
        "spec": {"replicas": replicas, "selector": {"matchLabels": labels}, "template": {
            "metadata": {"labels": labels},
            "spec": {"containers": [{"name": "web", "image": "nginx"}]}}},
    }




@pytest.mark.controlplane
async def test_configmap_crud(client: Client, namespace: str) -> None:
    created = await client.create(configmap("one", namespace, a="1"))
    assert created["metadata"]["uid"]
    assert created["data"] == {"a": "1"}
    got = await client.get(CONFIGMAP, "one", namespace)
    assert got["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]

    replaced = await client.replace({**got, "data": {"a": "2"}})
    assert replaced["data"] == {"a": "2"}
    patched = await client.patch(CONFIGMAP, "one", namespace, {"data": {"b": "3"}})
    assert patched["data"] == {"a": "2", "b": "3"}
    patched = await client.patch(CONFIGMAP, "one", namespace, [{"op": "remove", "path": "/data/a"}],
                                 patch_type="json")
    assert patched["data"] == {"b": "3"}

    items, resource_version = await client.list(CONFIGMAP, namespace)
    assert [i["metadata"]["name"] for i in items if i["metadata"]["name"] == "one"] == ["one"]
    assert all(i["apiVersion"] == "v1" and i["kind"] == "ConfigMap" for i in items)
    assert int(resource_version) >= int(patched["metadata"]["resourceVersion"])

    await client.delete(CONFIGMAP, "one", namespace)
    with pytest.raises(errors.NotFound):
        await client.get(CONFIGMAP, "one", namespace)
    with pytest.raises(errors.NotFound):
        await client.delete(CONFIGMAP, "one", namespace)


@pytest.mark.controlplane
async def test_server_side_apply_creates_updates_and_keeps_managed_fields(client: Client, namespace: str) -> None:
    first = await client.apply(configmap("applied", namespace, a="1", b="2"))  # 201: the object, not None
    assert first["data"] == {"a": "1", "b": "2"}
    managers = {(m["manager"], m["operation"]) for m in first["metadata"]["managedFields"]}
    assert ("team-operator", "Apply") in managers

    # Applying without b removes b: the manager owned it and no longer says it.
    second = await client.apply(configmap("applied", namespace, a="1"))
    assert second["data"] == {"a": "1"}
    # An object read from the cache (managedFields and all) can be applied as is.
    third = await client.apply({**second, "data": {"a": "9"}})
    assert third["data"] == {"a": "9"}

    # Another manager's conflicting field is taken over with force, refused without.
    await client.apply(configmap("applied", namespace, a="other"), field_manager="someone-else")
    with pytest.raises(errors.Conflict) as conflict:
        await client.apply(configmap("applied", namespace, a="mine"), force=False)
    assert conflict.value.causes
    assert conflict.value.causes[0].field == ".data.a"
    assert (await client.apply(configmap("applied", namespace, a="mine")))["data"] == {"a": "mine"}


@pytest.mark.controlplane
async def test_deployment_apply_strategic_patch_and_propagating_delete(client: Client, namespace: str) -> None:
    created = await client.apply(deployment("web", namespace))
    assert created["spec"]["replicas"] == 1
    scaled = await client.patch(DEPLOYMENT, "web", namespace, {"spec": {"replicas": 2}}, patch_type="strategic")
    assert scaled["spec"]["replicas"] == 2
    scale = await client.patch(DEPLOYMENT, "web", namespace, {"spec": {"replicas": 3}}, subresource="scale")
    assert scale["kind"] == "Scale"
    assert scale["spec"]["replicas"] == 3

    with pytest.raises(errors.Invalid) as invalid:
        await client.apply(deployment("web", namespace, replicas=-1))
    assert "spec.replicas" in {c.field for c in invalid.value.causes}

    with pytest.raises(errors.Conflict):  # a uid precondition that is not this object's
        await client.delete(DEPLOYMENT, "web", namespace, uid=str(uuid.uuid4()))
    await client.delete(DEPLOYMENT, "web", namespace, uid=created["metadata"]["uid"], propagation_policy="Foreground")


@pytest.mark.controlplane
async def test_custom_resource_crud_and_status(client: Client, namespace: str, widget_crd: GVK) -> None:
    body = {"apiVersion": "io.runtime.teamop.dev/v1", "kind": "Widget",
            "metadata": {"name": "w", "namespace": namespace}, "spec": {"size": 2}}
    created = await client.apply(body)
    assert created["spec"] == {"size": 2}
    assert created["metadata"]["generation"] == 1

    # Status goes through the subresource: apply, then PUT with the resourceVersion.
    with_status = await client.apply(
        {"apiVersion": "io.runtime.teamop.dev/v1", "kind": "Widget",
         "metadata": {"name": "w", "namespace": namespace}, "status": {"phase": "Ready", "observedGeneration": 1}},
        subresource="status",
    )
    assert with_status["status"]["phase"] == "Ready"
    assert with_status["metadata"]["generation"] == 1  # status writes do not bump the generation
    put = await client.replace({**with_status, "status": {"phase": "Degraded"}}, subresource="status")
    assert put["status"]["phase"] == "Degraded"
    with pytest.raises(errors.Conflict):  # stale resourceVersion
        await client.replace({**with_status, "status": {"phase": "Stale"}}, subresource="status")
    # The main resource ignores status; the status subresource ignores spec.
    updated = await client.replace({**put, "spec": {"size": 3}, "status": {"phase": "Ignored"}})
    assert updated["spec"]["size"] == 3
    assert updated["status"]["phase"] == "Degraded"
    assert updated["metadata"]["generation"] == 2

    patched = await client.patch(WIDGET, "w", namespace, {"spec": {"color": "red"}})
    assert patched["spec"] == {"size": 3, "color": "red"}

    with pytest.raises(errors.Invalid) as invalid:
        await client.patch(WIDGET, "w", namespace, {"spec": {"size": 99}})
    assert [c.field for c in invalid.value.causes] == ["spec.size"]
    with pytest.raises(errors.Invalid) as missing:
        await client.create({**body, "metadata": {"name": "w2", "namespace": namespace}, "spec": {}})
    assert "spec.size" in {c.field for c in missing.value.causes}
    with pytest.raises(errors.AlreadyExists):
        await client.create(body)

    # Strict field validation names the unknown field.
    with pytest.raises(errors.ApiError) as strict:
        await client.apply({**body, "spec": {"size": 2, "shape": "round"}}, field_validation="Strict")
    assert "shape" in str(strict.value)

    items, _ = await client.list(WIDGET, namespace)
    assert [(i["kind"], i["metadata"]["name"]) for i in items] == [("Widget", "w")]
    await client.delete(WIDGET, "w", namespace)
    with pytest.raises(errors.NotFound):
        await client.get(WIDGET, "w", namespace)


@pytest.mark.controlplane
async def test_cluster_scoped_kind(client: Client) -> None:
    name = f"io-test-{uuid.uuid4().hex[:6]}"
    ns = await client.create({"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": name}})
    assert "namespace" not in ns["metadata"]
    assert (await client.get(GVK("", "v1", "Namespace"), name))["metadata"]["uid"] == ns["metadata"]["uid"]
    await client.delete(GVK("", "v1", "Namespace"), name)


@pytest.mark.controlplane
async def test_list_pages_through_everything(client: Client, namespace: str) -> None:
    await asyncio.gather(*(client.create(configmap(f"page-{i}", namespace)) for i in range(7)))
    before = client.requests.snapshot()
    items, _ = await client.list(CONFIGMAP, namespace, page_size=3, label_selector="!nothing")
    names = sorted(i["metadata"]["name"] for i in items if i["metadata"]["name"].startswith("page-"))
    assert names == [f"page-{i}" for i in range(7)]
    assert (client.requests.snapshot() - before).verb("list") == 3  # 3 + 3 + the rest


@pytest.mark.controlplane
async def test_request_counter_counts_real_requests(client: Client, namespace: str) -> None:
    before = client.requests.snapshot()
    await client.apply(configmap("counted", namespace))
    await client.get(CONFIGMAP, "counted", namespace)
    with pytest.raises(errors.NotFound):
        await client.get(CONFIGMAP, "missing", namespace)
    spent = client.requests.snapshot() - before
    assert spent.by_method_code == {("PATCH", "201"): 1, ("GET", "200"): 1, ("GET", "404"): 1}
    assert spent.writes() == 1
    assert spent.total() == 3
    assert spent.by_verb_resource == {("apply", "configmaps"): 1, ("get", "configmaps"): 2}


@pytest.mark.controlplane
async def test_watch_streams_events_and_bookmarks(client: Client, namespace: str) -> None:
    _, resource_version = await client.list(CONFIGMAP, namespace)
    events: list[WatchEvent] = []

    async def follow() -> None:
        async with aclosing(client.watch(CONFIGMAP, namespace, resource_version, timeout_seconds=5)) as stream:
            async for event in stream:
                events.append(event)
                if event.type == "DELETED" and event.object["metadata"]["name"] == "watched":
                    return

    watcher = asyncio.create_task(follow())
    await client.create(configmap("watched", namespace, a="1"))
    await client.patch(CONFIGMAP, "watched", namespace, {"data": {"a": "2"}})
    await client.delete(CONFIGMAP, "watched", namespace)
    await asyncio.wait_for(watcher, 10)
    # The controller manager publishes kube-root-ca.crt into a new namespace when it gets to it: maybe meanwhile.
    seen = [(e.type, e.object["metadata"]["name"]) for e in events
            if e.type != "BOOKMARK" and e.object["metadata"]["name"] != "kube-root-ca.crt"]
    assert seen == [("ADDED", "watched"), ("MODIFIED", "watched"), ("DELETED", "watched")]
    assert events[0].object["kind"] == "ConfigMap"


@pytest.mark.controlplane
async def test_watch_from_a_too_old_resource_version_raises_gone(
    client: Client, namespace: str, widget_crd: GVK, controlplane: ControlPlane
) -> None:
    # The CRD's watch cache started long after revision 1, and etcd is compacted past it.
    await client.apply({"apiVersion": "io.runtime.teamop.dev/v1", "kind": "Widget",
                        "metadata": {"name": "old", "namespace": namespace}, "spec": {"size": 1}})
    controlplane.etcd_compact()

    async def drain() -> None:
        async with aclosing(client.watch(WIDGET, namespace, "1", timeout_seconds=5)) as stream:
            async for _ in stream:
                pass

    with pytest.raises(errors.Gone):
        await drain()


@pytest.mark.controlplane
async def test_auto_uses_the_kubeconfig_outside_a_cluster(
    controlplane: ControlPlane, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("KUBECONFIG", str(controlplane.kubeconfig))
    monkeypatch.setenv("KUBERNETES_SERVICE_HOST", "10.96.0.1")  # a named kubeconfig wins over in-cluster config
    client = await Client.auto(registry=CollectorRegistry())
    try:
        namespaces, _ = await client.list(GVK("", "v1", "Namespace"))
        assert "default" in {n["metadata"]["name"] for n in namespaces}
    finally:
        await client.close()
