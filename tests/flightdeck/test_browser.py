"""The served page in a real browser: headless Chromium over the DevTools protocol, against the server running
in-process over a static Site source. Screenshots go to test-output/flightdeck/."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from teamop.flightdeck.server import serving
from teamop.flightdeck.settings import Settings
from teamop.flightdeck.site_source import StaticSiteSource

from .chromium import Browser, Page, chromium, chromium_binary
from .sites import DOMAIN, SECRET_VALUES, secret_site, settings, site

OUTPUT = Path(__file__).resolve().parents[2] / "test-output" / "flightdeck"
BINARY = chromium_binary()

pytestmark = pytest.mark.skipif(BINARY is None, reason="needs Debian's chromium (apt-get install chromium)")

VISIBLE_CARDS = """
[...document.querySelectorAll('li.card')].map(card => {
  const link = card.querySelector('a');
  const box = link.getBoundingClientRect();
  const style = getComputedStyle(card);
  return {
    product: card.dataset.product,
    href: link.href,
    name: card.querySelector('.card-name').innerText,
    visible: box.width > 0 && box.height > 0 && box.top >= 0 && box.bottom <= window.innerHeight
      && style.visibility === 'visible' && style.display !== 'none',
    iconLoaded: card.querySelector('img').complete && card.querySelector('img').naturalWidth > 0,
  };
})
"""


@pytest.fixture(scope="module")
async def browser() -> AsyncIterator[Browser]:
    assert BINARY is not None
    async with chromium(BINARY, OUTPUT / "chromium.log") as running:
        yield running


async def cards(page: Page) -> list[dict[str, Any]]:
    result: list[dict[str, Any]] = await page.evaluate(VISIBLE_CARDS)
    return result


def expected_cards(*products: str) -> list[dict[str, Any]]:
    names = {"workbench": "Workbench", "connect": "Connect", "packagemanager": "Package Manager", "academy": "Academy"}
    return [
        {"product": p, "href": f"https://{p}.{DOMAIN}/", "name": names[p], "visible": True, "iconLoaded": True}
        for p in products
    ]


@asynccontextmanager
async def serve_and_open(browser: Browser, source: StaticSiteSource, server_settings: Settings) -> AsyncIterator[Page]:
    """The server in-process over `source`, and a new tab showing its home page."""
    async with serving(server_settings, source) as port:
        page = await browser.new_page()
        try:
            await page.goto(f"http://127.0.0.1:{port}/")
            yield page
        finally:
            await page.close()


async def test_three_products_then_a_click_on_a_card(browser: Browser) -> None:
    async with serve_and_open(browser, StaticSiteSource(site()), settings()) as page:
        assert await cards(page) == expected_cards("workbench", "connect", "packagemanager")
        assert await page.evaluate("document.title") == "Home · orbit · Posit Team"
        await page.screenshot(OUTPUT / "home-three-products.png")

        await page.stub(f"https://connect.{DOMAIN}/*", "<title>Connect stub</title><h1>Connect</h1>")
        loaded = browser.expect("Page.loadEventFired", page.session_id)
        await page.click('li.card[data-product="connect"] a')
        await loaded
        assert await page.evaluate("location.href") == f"https://connect.{DOMAIN}/"
        assert await page.evaluate("document.title") == "Connect stub"


async def test_four_cards_with_academy(browser: Browser) -> None:
    async with serve_and_open(browser, StaticSiteSource(site()), settings(show_academy=True)) as page:
        assert await cards(page) == expected_cards("workbench", "connect", "packagemanager", "academy")
        await page.screenshot(OUTPUT / "home-with-academy.png")


async def test_one_product_only(browser: Browser) -> None:
    async with serve_and_open(browser, StaticSiteSource(site(["packagemanager"])), settings()) as page:
        assert await cards(page) == expected_cards("packagemanager")
        await page.screenshot(OUTPUT / "home-one-product.png")


async def test_dark_theme_follows_the_system(browser: Browser) -> None:
    background = "getComputedStyle(document.body).backgroundColor"
    async with serve_and_open(browser, StaticSiteSource(site()), settings(show_academy=True)) as page:
        light = await page.evaluate(background)
        await page.send("Emulation.setEmulatedMedia", features=[{"name": "prefers-color-scheme", "value": "dark"}])
        dark = await page.evaluate(background)
        assert light == "rgb(244, 246, 249)"
        assert dark == "rgb(16, 20, 27)"
        await page.screenshot(OUTPUT / "home-dark.png")


async def test_keyboard_focus_is_visible(browser: Browser) -> None:
    focused = "(() => { const el = document.activeElement; const s = getComputedStyle(el);" \
              " return {text: el.innerText, outline: s.outlineStyle, width: s.outlineWidth}; })()"
    async with serve_and_open(browser, StaticSiteSource(site()), settings()) as page:
        await page.press_tab()
        assert await page.evaluate(focused) == {"text": "Skip to main content", "outline": "solid", "width": "3px"}
        for _ in range(5):  # brand, Home, Help, then the cards
            await page.press_tab()
        state = await page.evaluate(focused)
        assert state["text"].startswith("Connect")
        assert state["outline"] == "solid"


async def test_config_appears_only_when_enabled_and_shows_no_secret(browser: Browser) -> None:
    nav = "[...document.querySelectorAll('nav a')].map(a => a.innerText)"
    async with serve_and_open(browser, StaticSiteSource(secret_site()), settings()) as page:
        assert await page.evaluate(nav) == ["Home", "Help"]
    async with serve_and_open(browser, StaticSiteSource(secret_site()), settings(show_config=True)) as page:
        assert await page.evaluate(nav) == ["Home", "Configuration", "Help"]
        loaded = browser.expect("Page.loadEventFired", page.session_id)
        await page.click('nav a[href="/config"]')
        await loaded
        assert await page.evaluate("document.querySelector('h1').innerText") == "Configuration"
        text = await page.evaluate("document.documentElement.outerHTML")
        assert "orbit-secrets" in text
        for value in SECRET_VALUES:
            assert value not in text
        await page.screenshot(OUTPUT / "config.png")


async def test_stale_banner_is_shown_over_the_last_known_cards(browser: Browser) -> None:
    source = StaticSiteSource(site(["workbench", "connect"]))
    source.mark_stale()
    async with serve_and_open(browser, source, settings()) as page:
        assert await page.evaluate("document.querySelector('[role=status]').innerText.includes('may be out of date')")
        assert [card["product"] for card in await cards(page)] == ["workbench", "connect"]
        await page.screenshot(OUTPUT / "home-stale.png")
