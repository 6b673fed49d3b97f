"""The HTML pages, rendered from plain data: no I/O, no clock, no globals. Every value from the Site is escaped."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from html import escape

from teamop.flightdeck.catalog import ProductCard, product_cards, site_domain
from teamop.flightdeck.config_view import Setting, site_settings
from teamop.flightdeck.site_source import SiteSnapshot

WAITING_REFRESH_SECONDS = 5


@dataclass(frozen=True)
class PageContext:
    """What every page shows besides its own content."""

    site_name: str
    namespace: str
    show_config: bool
    show_academy: bool
    asset_version: str
    """Appended to static URLs so they can be cached for long and still change with a new release."""


@dataclass(frozen=True)
class NavItem:
    path: str
    label: str


def e(value: object) -> str:
    return escape(str(value), quote=True)


def asset(context: PageContext, path: str) -> str:
    return f"/static/{path}?v={e(context.asset_version)}"


def navigation(context: PageContext) -> list[NavItem]:
    items = [NavItem("/", "Home")]
    if context.show_config:
        items.append(NavItem("/config", "Configuration"))
    items.append(NavItem("/help", "Help"))
    return items


def _format_time(timestamp: float | None) -> str:
    if timestamp is None:
        return "an unknown time"
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def stale_banner(context: PageContext, snapshot: SiteSnapshot) -> str:
    if not snapshot.stale:
        return ""
    return (
        '<div class="banner banner-stale" role="status">'
        f'<img src="{asset(context, "icons/warning.svg")}" alt="Warning:" width="20" height="20"> '
        "The Kubernetes API cannot be reached right now. This page shows the Site as it was at "
        f"{e(_format_time(snapshot.read_at))} and may be out of date."
        "</div>"
    )


def layout(
    context: PageContext,
    *,
    title: str,
    current_path: str,
    body: str,
    banner: str = "",
    refresh_seconds: int | None = None,
) -> str:
    current = ' aria-current="page"'
    links = "".join(
        f'<li><a href="{item.path}"{current if item.path == current_path else ""}>{e(item.label)}</a></li>'
        for item in navigation(context)
    )
    refresh = f'<meta http-equiv="refresh" content="{refresh_seconds}">' if refresh_seconds else ""
    return f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
{refresh}<title>{e(title)} · {e(context.site_name)} · Posit Team</title>
<link rel="stylesheet" href="{asset(context, "flightdeck.css")}">
<link rel="icon" type="image/svg+xml" href="{asset(context, "favicon.svg")}">
</head>
<body>
<a class="skip-link" href="#main">Skip to main content</a>
<header class="site-header">
<a class="brand" href="/"><img src="{asset(context, "logo.svg")}" alt="Posit Team" width="36" height="36">
<span class="brand-name">Posit Team</span><span class="brand-site">{e(context.site_name)}</span></a>
<nav aria-label="Main"><ul class="nav-list">{links}</ul></nav>
</header>
<main id="main" tabindex="-1">
{banner}{body}
</main>
<footer class="site-footer">
<p>Site <code>{e(context.site_name)}</code> in namespace <code>{e(context.namespace)}</code> · served by Flightdeck</p>
</footer>
</body>
</html>
"""


def product_card(card: ProductCard, context: PageContext) -> str:
    product = card.product
    return (
        f'<li class="card" data-product="{e(product.key)}">'
        f'<a class="card-link" href="{e(card.url)}">'
        f'<img class="card-icon" src="{asset(context, f"icons/{product.key}.svg")}" alt="" width="56" height="56">'
        f'<span class="card-name">{e(product.name)}</span>'
        f'<span class="card-description">{e(product.description)}</span>'
        f'<span class="card-host">{e(card.host)}</span>'
        "</a></li>"
    )


def waiting_body(context: PageContext) -> str:
    return (
        '<h1>Starting up</h1><p class="lead">Flightdeck is reading Site '
        f"<code>{e(context.site_name)}</code> in namespace <code>{e(context.namespace)}</code>. "
        "This page refreshes by itself.</p>"
    )


def absent_body(context: PageContext) -> str:
    return (
        f'<h1>Site not found</h1><p class="lead">There is no Site <code>{e(context.site_name)}</code> in namespace '
        f"<code>{e(context.namespace)}</code> (yet). This page refreshes by itself and shows the Site once it "
        "exists.</p>"
    )


def _unavailable(context: PageContext, snapshot: SiteSnapshot, *, title: str, path: str) -> str:
    """The page for a Site not read yet, or not there."""
    body = waiting_body(context) if not snapshot.read else absent_body(context)
    return layout(
        context, title=title, current_path=path, body=body, banner=stale_banner(context, snapshot),
        refresh_seconds=WAITING_REFRESH_SECONDS,
    )


def home_page(context: PageContext, snapshot: SiteSnapshot) -> str:
    if snapshot.site is None:
        return _unavailable(context, snapshot, title="Home", path="/")
    cards = product_cards(snapshot.spec, show_academy=context.show_academy)
    if cards:
        listing = '<ul class="cards">' + "".join(product_card(card, context) for card in cards) + "</ul>"
    elif site_domain(snapshot.spec) is None:
        listing = '<p class="empty">This Site has no domain, so its products have no address yet.</p>'
    else:
        listing = (
            '<p class="empty">No products are enabled on this Site yet. Once your administrator adds one, '
            "it appears here.</p>"
        )
    body = (
        '<h1 id="products-heading">Welcome to Posit Team</h1>'
        '<p class="lead">Choose a product to start working.</p>'
        f'<section aria-labelledby="products-heading">{listing}</section>'
    )
    return layout(context, title="Home", current_path="/", body=body, banner=stale_banner(context, snapshot))


def settings_table(settings: Sequence[Setting]) -> str:
    if not settings:
        return '<p class="empty">The Site has no settings to show.</p>'
    rows = "".join(
        f'<tr><th scope="row"><code>{e(s.path)}</code></th><td><code>{e(s.value)}</code></td></tr>' for s in settings
    )
    return (
        '<div class="table-wrap"><table class="settings">'
        "<caption>Settings of the Site, secrets left out</caption>"
        '<thead><tr><th scope="col">Setting</th><th scope="col">Value</th></tr></thead>'
        f"<tbody>{rows}</tbody></table></div>"
    )


def config_page(context: PageContext, snapshot: SiteSnapshot) -> str:
    if snapshot.site is None:
        return _unavailable(context, snapshot, title="Configuration", path="/config")
    body = (
        "<h1>Configuration</h1>"
        '<p class="lead">How this Site is set up. Secret values are never shown here: at most the name of the '
        "Kubernetes Secret that holds them.</p>"
        f"{settings_table(site_settings(snapshot.spec))}"
    )
    return layout(
        context, title="Configuration", current_path="/config", body=body, banner=stale_banner(context, snapshot)
    )


def help_page(context: PageContext, snapshot: SiteSnapshot) -> str:
    config_hint = (
        ' The <a href="/config">Configuration</a> page lists how this Site is set up.' if context.show_config else ""
    )
    body = f"""<h1>Help</h1>
<section aria-labelledby="help-what"><h2 id="help-what">What is this page?</h2>
<p>This is the front door of your Posit Team site. Each card on the <a href="/">home page</a> opens one product;
the products each have their own address, so you can bookmark them too.{config_hint}</p></section>
<section aria-labelledby="help-products"><h2 id="help-products">The products</h2>
<dl class="help-list">
<dt>Workbench</dt><dd>Your development environment: RStudio, Positron, VS Code and JupyterLab sessions that run in
the cluster.</dd>
<dt>Connect</dt><dd>Where finished work is published and shared: Shiny and Streamlit apps, Quarto and R Markdown
reports, APIs and dashboards.</dd>
<dt>Package Manager</dt><dd>The R and Python package repository the other products install from.</dd>
</dl></section>
<section aria-labelledby="help-trouble"><h2 id="help-trouble">Something is missing or does not open</h2>
<p>Only the products enabled on this Site are shown. If a product you expect is not there, or its page does not
open, ask the administrator of Site <code>{e(context.site_name)}</code> (namespace
<code>{e(context.namespace)}</code>).</p></section>"""
    return layout(context, title="Help", current_path="/help", body=body, banner=stale_banner(context, snapshot))


def not_found_page(context: PageContext, snapshot: SiteSnapshot) -> str:
    body = '<h1>Page not found</h1><p class="lead">There is nothing here. Go to the <a href="/">home page</a>.</p>'
    return layout(context, title="Not found", current_path="", body=body, banner=stale_banner(context, snapshot))
