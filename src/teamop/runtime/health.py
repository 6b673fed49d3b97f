"""The manager's HTTP endpoints: `/healthz` (alive), `/readyz` (caches synced and, with leader election, leading
or standing by) and `/metrics` (Prometheus text of the engine's registry)."""

from __future__ import annotations

from collections.abc import Callable

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, generate_latest

Check = Callable[[], str | None]  # None when fine, else why not


def parse_address(address: str) -> tuple[str, int]:
    """`host:port`, `:port` (all interfaces) or `port`."""
    host, _, port = address.rpartition(":")
    return (host or "0.0.0.0"), int(port)


class HttpEndpoints:
    def __init__(self, *, healthy: Check, ready: Check, registry: CollectorRegistry) -> None:
        self.healthy = healthy
        self.ready = ready
        self.registry = registry
        self._runners: list[web.AppRunner] = []
        self.bound: dict[str, tuple[str, int]] = {}

    def _app(self, *, probes: bool, metrics: bool) -> web.Application:
        app = web.Application()
        if probes:
            app.router.add_get("/healthz", self._healthz)
            app.router.add_get("/readyz", self._readyz)
        if metrics:
            app.router.add_get("/metrics", self._metrics)
        return app

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
            runner = web.AppRunner(self._app(probes=probes, metrics=metrics), access_log=None)
            await runner.setup()
            host, port = parse_address(address)
            site = web.TCPSite(runner, host, port)
            await site.start()
            self._runners.append(runner)
            server = site._server  # the only way aiohttp exposes the port chosen for port 0
            sockets = getattr(server, "sockets", None) or []
            bound_port = sockets[0].getsockname()[1] if sockets else port
            self.bound[role] = (host, bound_port)
            if role == "health" and metrics:
                self.bound["metrics"] = (host, bound_port)

    def url(self, role: str) -> str:
        host, port = self.bound[role]
        return f"http://{'127.0.0.1' if host in ('0.0.0.0', '') else host}:{port}"

    async def stop(self) -> None:
        for runner in self._runners:
            await runner.cleanup()
        self._runners = []

    async def _healthz(self, _: web.Request) -> web.Response:
        problem = self.healthy()
        return web.Response(status=200 if problem is None else 500, text=problem or "ok")

    async def _readyz(self, _: web.Request) -> web.Response:
        problem = self.ready()
        return web.Response(status=200 if problem is None else 503, text=problem or "ok")

    async def _metrics(self, _: web.Request) -> web.Response:
        body = generate_latest(self.registry)
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST})
