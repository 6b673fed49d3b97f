"""The web server over a static Site source: routes, probes, headers, caching."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import aiohttp

from teamop.flightdeck.server import serving
from teamop.flightdeck.settings import Settings
from teamop.flightdeck.site_source import StaticSiteSource

from .html_parse import parse_page
from .sites import SECRET_VALUES, secret_site, settings, site

Client = tuple[aiohttp.ClientSession, Callable[[str], str]]


@asynccontextmanager
async def server(source: StaticSiteSource, server_settings: Settings | None = None) -> AsyncIterator[Client]:
    async with serving(server_settings or settings(), source) as port, aiohttp.ClientSession() as session:
        yield session, lambda path: f"http://127.0.0.1:{port}{path}"


async def test_the_probe_path_answers_200_before_the_site_is_read() -> None:
    async with (
        server(StaticSiteSource(read=False)) as (session, url),
        session.get(url("/"), headers={"User-Agent": "kube-probe/1.34"}) as response,
    ):
        assert response.status == 200
        assert "<h1>Starting up</h1>" in await response.text()


async def test_the_page_follows_the_source() -> None:
    source = StaticSiteSource(site())
    async with server(source) as (session, url):
        async with session.get(url("/")) as response:
            assert [c.product for c in parse_page(await response.text()).cards] == [
                "workbench", "connect", "packagemanager",
            ]
        source.publish(site(["connect"]))
        async with session.get(url("/")) as response:
            assert [c.product for c in parse_page(await response.text()).cards] == ["connect"]


async def test_a_stale_source_shows_the_last_site_with_a_banner() -> None:
    source = StaticSiteSource(site(["workbench"]))
    source.mark_stale()
    async with server(source) as (session, url), session.get(url("/")) as response:
        page = parse_page(await response.text())
        assert response.status == 200
        assert [c.product for c in page.cards] == ["workbench"]
        assert len(page.banners) == 1
        assert "may be out of date" in page.banners[0]


async def test_config_is_not_served_unless_enabled() -> None:
    async with server(StaticSiteSource(secret_site())) as (session, url):
        async with session.get(url("/config")) as response:
            assert response.status == 404
            assert "Page not found" in await response.text()
        async with session.get(url("/")) as response:
            assert "/config" not in await response.text()


async def test_config_when_enabled_has_settings_and_no_secret_value() -> None:
    async with server(StaticSiteSource(secret_site()), settings(show_config=True)) as (session, url):
        async with session.get(url("/config")) as response:
            text = await response.text()
        assert response.status == 200
        assert "orbit-secrets" in text
        for value in SECRET_VALUES:
            assert value not in text


async def test_pages_are_not_cached_and_carry_security_headers() -> None:
    async with server(StaticSiteSource(site())) as (session, url):
        for path in ("/", "/help"):
            async with session.get(url(path)) as response:
                assert response.status == 200
                assert response.headers["Content-Type"] == "text/html; charset=utf-8"
                assert response.headers["Cache-Control"] == "no-cache"
                assert "default-src 'none'" in response.headers["Content-Security-Policy"]
                assert response.headers["X-Content-Type-Options"] == "nosniff"


async def test_head_works_on_the_probe_path() -> None:
    async with server(StaticSiteSource(site())) as (session, url), session.head(url("/")) as response:
        assert response.status == 200


async def test_static_assets_are_cached_and_revalidated() -> None:
    async with server(StaticSiteSource(site())) as (session, url):
        async with session.get(url("/")) as response:
            html = await response.text()
        css_path = html.split('<link rel="stylesheet" href="', 1)[1].split('"', 1)[0]
        async with session.get(url(css_path)) as response:
            assert response.status == 200
            assert response.headers["Content-Type"].startswith("text/css")
            assert response.headers["Cache-Control"] == "public, max-age=31536000, immutable"
            etag = response.headers["ETag"]
            assert "prefers-color-scheme: dark" in await response.text()
        async with session.get(url("/static/flightdeck.css"), headers={"If-None-Match": etag}) as response:
            assert response.status == 304
            assert response.headers["Cache-Control"] == "public, max-age=300"
        async with session.get(url("/static/icons/workbench.svg")) as response:
            assert response.headers["Content-Type"] == "image/svg+xml"


async def test_unknown_paths_get_the_not_found_page() -> None:
    async with server(StaticSiteSource(site())) as (session, url):
        async with session.get(url("/nope")) as response:
            assert response.status == 404
            assert "Page not found" in await response.text()
        async with session.get(url("/static/../settings.py")) as response:
            assert response.status == 404
        async with session.get(url("/static/nothing.css")) as response:
            assert response.status == 404
