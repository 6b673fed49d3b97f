"""The pages, rendered from plain data: which cards, which links, which navigation, for every combination of
enabled products and toggles."""

from __future__ import annotations

import itertools

import pytest

from teamop.flightdeck import pages
from teamop.flightdeck.site_source import SiteSnapshot

from .html_parse import parse_page
from .sites import ALL_PRODUCTS, DOMAIN, site

PRODUCT_SUBSETS = [
    combination for size in range(len(ALL_PRODUCTS) + 1) for combination in itertools.combinations(ALL_PRODUCTS, size)
]
CARD_NAMES = {"workbench": "Workbench", "connect": "Connect", "packagemanager": "Package Manager", "academy": "Academy"}


def context(*, show_config: bool = False, show_academy: bool = False) -> pages.PageContext:
    return pages.PageContext(
        site_name="orbit", namespace="posit-team", show_config=show_config, show_academy=show_academy,
        asset_version="v1",
    )


def read(site_object: dict[str, object] | None, *, stale: bool = False) -> SiteSnapshot:
    return SiteSnapshot(read=True, site=site_object, stale=stale, read_at=1_700_000_000.0)


@pytest.mark.parametrize("show_config", [False, True], ids=["no-config", "config"])
@pytest.mark.parametrize("show_academy", [False, True], ids=["no-academy", "academy"])
@pytest.mark.parametrize("products", PRODUCT_SUBSETS, ids=lambda p: "+".join(p) or "none")
def test_home_shows_a_card_per_enabled_product(
    products: tuple[str, ...], show_academy: bool, show_config: bool
) -> None:
    html = pages.home_page(context(show_config=show_config, show_academy=show_academy), read(site(products)))
    page = parse_page(html)

    expected = [*products, *(["academy"] if show_academy else [])]
    assert [card.product for card in page.cards] == expected
    for card in page.cards:
        assert card.href == f"https://{card.product}.{DOMAIN}/"
        assert CARD_NAMES[card.product] in card.text
        assert f"{card.product}.{DOMAIN}" in card.text
    assert ("Configuration" in page.nav_links) is show_config
    assert page.nav_links["Help"] == "/help"
    if not expected:
        assert "No products are enabled on this Site yet." in " ".join(page.text)


def test_cards_follow_each_products_domain_prefix() -> None:
    spec_site = site(
        (),
        workbench={"domainPrefix": "rstudio"},
        connect={"domainPrefix": "rsc"},
        packageManager={"domainPrefix": "p3m"},
    )
    page = parse_page(pages.home_page(context(), read(spec_site)))
    assert [card.href for card in page.cards] == [
        f"https://rstudio.{DOMAIN}/", f"https://rsc.{DOMAIN}/", f"https://p3m.{DOMAIN}/",
    ]


def test_a_site_without_a_domain_has_no_cards_and_says_why() -> None:
    page = parse_page(pages.home_page(context(show_academy=True), read(site(domain=None))))
    assert page.cards == []
    assert "This Site has no domain, so its products have no address yet." in page.text


def test_before_the_site_is_read_the_page_says_it_is_waiting_and_refreshes() -> None:
    html = pages.home_page(context(), SiteSnapshot())
    assert "<h1>Starting up</h1>" in html
    assert f'<meta http-equiv="refresh" content="{pages.WAITING_REFRESH_SECONDS}">' in html
    assert parse_page(html).cards == []


def test_a_missing_site_is_named_with_its_namespace() -> None:
    html = pages.home_page(context(), read(None))
    assert "<h1>Site not found</h1>" in html
    assert "<code>orbit</code> in namespace <code>posit-team</code>" in html


def test_a_stale_site_keeps_its_cards_under_a_banner() -> None:
    page = parse_page(pages.home_page(context(), read(site(), stale=True)))
    assert [card.product for card in page.cards] == list(ALL_PRODUCTS)
    assert len(page.banners) == 1
    assert "may be out of date" in page.banners[0]
    assert "2023-11-14 22:13:20 UTC" in page.banners[0]


def test_a_fresh_site_has_no_banner() -> None:
    assert parse_page(pages.home_page(context(), read(site()))).banners == []


@pytest.mark.parametrize("render", [pages.home_page, pages.config_page, pages.help_page, pages.not_found_page])
def test_every_page_is_accessible_and_self_contained(render: object) -> None:
    html = render(context(show_config=True, show_academy=True), read(site()))  # type: ignore[operator]
    page = parse_page(html)
    assert html.startswith("<!doctype html>\n<html lang=\"en\">")
    assert {"header", "nav", "main", "footer"} <= set(page.landmarks)
    assert '<a class="skip-link" href="#main">' in html
    assert page.images_without_alt == []
    assert page.external_urls == []
    assert "<script" not in html


def test_the_current_page_is_marked_in_the_navigation() -> None:
    html = pages.help_page(context(), read(site()))
    assert '<a href="/help" aria-current="page">Help</a>' in html
    assert '<a href="/" aria-current' not in html


def test_site_values_are_escaped() -> None:
    hostile = site(domain='x.test"><script>alert(1)</script>')
    html = pages.home_page(context(), read(hostile))
    assert "<script>" not in html
    assert "&lt;script&gt;" in html


def test_static_urls_carry_the_asset_version() -> None:
    html = pages.home_page(context(), read(site()))
    assert 'href="/static/flightdeck.css?v=v1"' in html
    assert 'src="/static/icons/workbench.svg?v=v1"' in html


def test_config_page_lists_settings_and_says_secrets_are_left_out() -> None:
    html = pages.config_page(context(show_config=True), read(site(("connect",), networkTrust=50)))
    assert "<caption>Settings of the Site, secrets left out</caption>" in html
    assert "<code>networkTrust</code></th><td><code>50</code>" in html
    assert "<code>domain</code></th><td><code>example.test</code>" in html
