"""The manager's HTTP endpoints: `/healthz` (alive), `/readyz` (caches synced and, with leader election, leading
or standing by) and `/metrics` (Prometheus text of the engine's registry)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

# aiohttp's low-level server: `aiohttp.web` (its application, router and the rest) would cost ~1.5 MB more
from aiohttp.web_request import BaseRequest
from aiohttp.web_response import Response
from aiohttp.web_server import Server
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

Check = Callable[[], str | None]  # None when fine, else why not
Endpoint = Callable[[], Response]


def parse_address(address: str) -> tuple[str, int]:
    """`host:port`, `:port` (all interfaces) or `port`."""
    host, _, port = address.rpartition(":")
    return (host or "0.0.0.0"), int(port)


class HttpEndpoints:
    def __init__(self, *, healthy: Check, ready: Check, registry: CollectorRegistry) -> None:
        self.healthy = healthy
        self.ready = ready
        self.registry = registry
        self._servers: list[tuple[Server, asyncio.Server]] = []
        self.bound: dict[str, tuple[str, int]] = {}

    def _handler(self, *, probes: bool, metrics: bool) -> Callable[[BaseRequest], Awaitable[Response]]:
        endpoints: dict[str, Endpoint] = {}
        if probes:
            endpoints.update({"/healthz": self._healthz, "/readyz": self._readyz})
        if metrics:
            endpoints["/metrics"] = self._metrics

        async def handle(request: BaseRequest) -> Response:
            endpoint = endpoints.get(request.path)
            if endpoint is None:
                return Response(status=404, text="404: Not Found")
            if request.method not in ("GET", "HEAD"):
                return Response(status=405, text="405: Method Not Allowed", headers={"Allow": "GET, HEAD"})
            return endpoint()

        return handle

    async def start(self, health_addr: str | None, metrics_addr: str | None) -> None:
        """Serve the probes on `health_addr` and metrics on `metrics_addr` (one server when they are equal)."""
        plans: list[tuple[str, str, bool, bool]] = []
        if health_addr and health_addr == metrics_addr:
            plans.append(("health", health_addr, True, True))
        else:
            if health_addr:
                plans.append(("health", health_addr, True, False))
            if metrics_addr:
                plans.append(("metrics", metrics_addr, False, True))
        for role, address, probes, metrics in plans:
            host, port = parse_address(address)
            server = Server(self._handler(probes=probes, metrics=metrics), access_log=None)
            listener = await asyncio.get_running_loop().create_server(server, host, port)
            self._servers.append((server, listener))
            bound_port = listener.sockets[0].getsockname()[1] if listener.sockets else port
            self.bound[role] = (host, bound_port)
            if role == "health" and metrics:
                self.bound["metrics"] = (host, bound_port)

    def url(self, role: str) -> str:
        host, port = self.bound[role]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"

    async def stop(self) -> None:
        for server, listener in self._servers:
            listener.close()
            await server.shutdown(1.0)
            await listener.wait_closed()
        self._servers = []

    def _healthz(self) -> Response:
        problem = self.healthy()
        return Response(status=200 if problem is None else 500, text=problem or "ok")

    def _readyz(self) -> Response:
        problem = self.ready()
        return Response(status=200 if problem is None else 503, text=problem or "ok")

    def _metrics(self) -> Response:
        body = generate_latest(self.registry)
        return Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
