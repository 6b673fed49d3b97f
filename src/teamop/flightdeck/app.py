"""The aiohttp application: routes, response headers, and the structured access log."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

import structlog
from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from teamop.flightdeck import pages
from teamop.flightdeck.assets import Assets, load_assets
from teamop.flightdeck.settings import Settings
from teamop.flightdeck.site_source import SiteSource

HTML = "text/html"
LONG_CACHE = "public, max-age=31536000, immutable"
SHORT_CACHE = "public, max-age=300"
SECURITY_HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; base-uri 'none'; form-action 'none'; "
        "frame-ancestors 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "X-Frame-Options": "DENY",
}
PROBE_USER_AGENT = "kube-probe/"

access_log = structlog.get_logger("teamop.flightdeck.access")

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class AccessLogger(AbstractAccessLogger):
    """One structured line per request; kubelet probes only at debug level. Query strings are not logged."""

    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        user_agent = request.headers.get("User-Agent", "")
        emit = access_log.debug if user_agent.startswith(PROBE_USER_AGENT) else access_log.info
        emit(
            "request", method=request.method, path=request.path, status=response.status,
            duration_ms=round(time * 1000, 2), remote=request.remote, user_agent=user_agent,
            bytes=response.body_length,
        )


class Flightdeck:
    """Request handlers over one Site source."""

    def __init__(self, settings: Settings, source: SiteSource, assets: Assets) -> None:
        self.settings = settings
        self.source = source
        self.assets = assets
        self.context = pages.PageContext(
            site_name=settings.site_name, namespace=settings.namespace, show_config=settings.show_config,
            show_academy=settings.show_academy, asset_version=assets.version,
        )

    def _html(self, text: str, status: int = 200) -> web.Response:
        response = web.Response(text=text, status=status, content_type=HTML, charset="utf-8")
        response.headers["Cache-Control"] = "no-cache"
        return response

    async def home(self, request: web.Request) -> web.Response:
        """The landing page; also what the probes ask for, so it answers 200 even before the Site is read."""
        return self._html(pages.home_page(self.context, self.source.snapshot()))

    async def config(self, request: web.Request) -> web.Response:
        if not self.settings.show_config:
            return await self.not_found(request)
        return self._html(pages.config_page(self.context, self.source.snapshot()))

    async def help(self, request: web.Request) -> web.Response:
        return self._html(pages.help_page(self.context, self.source.snapshot()))

    async def not_found(self, request: web.Request) -> web.Response:
        return self._html(pages.not_found_page(self.context, self.source.snapshot()), status=404)

    async def static(self, request: web.Request) -> web.StreamResponse:
        asset = self.assets.get(request.match_info["path"])
        if asset is None:
            raise web.HTTPNotFound()
        versioned = request.query.get("v") == self.assets.version
        headers = {"ETag": asset.etag, "Cache-Control": LONG_CACHE if versioned else SHORT_CACHE}
        if asset.etag in request.headers.get("If-None-Match", ""):
            return web.Response(status=304, headers=headers)
        return web.Response(body=asset.body, headers={**headers, "Content-Type": asset.content_type})


@web.middleware
async def response_headers(request: web.Request, handler: Handler) -> web.StreamResponse:
    response = await handler(request)
    response.headers.update(SECURITY_HEADERS)
    return response


def build_app(settings: Settings, source: SiteSource, assets: Assets | None = None) -> web.Application:
    """The web application. The caller starts and closes `source` (the app only reads it)."""
    flightdeck = Flightdeck(settings, source, assets or load_assets())

    @web.middleware
    async def pages_for_errors(request: web.Request, handler: Handler) -> web.StreamResponse:
        try:
            return await handler(request)
        except web.HTTPNotFound:
            if request.path.startswith("/static/"):
                raise
            return await flightdeck.not_found(request)

    app = web.Application(middlewares=[response_headers, pages_for_errors])
    app.router.add_get("/", flightdeck.home)
    app.router.add_get("/config", flightdeck.config)
    app.router.add_get("/help", flightdeck.help)
    app.router.add_get("/static/{path:.+}", flightdeck.static)
    return app
