"""Reading the served HTML in tests, as a browser would see its structure."""

from __future__ import annotations

from dataclasses import dataclass, field
from html.parser import HTMLParser


@dataclass
class Card:
    product: str
    href: str
    text: list[str] = field(default_factory=list)


@dataclass
class PageStructure:
    cards: list[Card] = field(default_factory=list)
    nav_links: dict[str, str] = field(default_factory=dict)
    """label → href"""
    landmarks: list[str] = field(default_factory=list)
    images_without_alt: list[str] = field(default_factory=list)
    external_urls: list[str] = field(default_factory=list)
    """src/href values of stylesheets, scripts and images that do not come from this server."""
    banners: list[str] = field(default_factory=list)
    text: list[str] = field(default_factory=list)


class _Parser(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.page = PageStructure()
        self._card: Card | None = None
        self._nav_depth = 0
        self._nav_href: str | None = None
        self._banner: list[str] | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        attributes = dict(attrs)
        if tag in ("header", "nav", "main", "footer"):
            self.page.landmarks.append(tag)
        if tag == "nav":
            self._nav_depth += 1
        if tag == "li" and "data-product" in attributes:
            self._card = Card(product=attributes["data-product"] or "", href="")
            self.page.cards.append(self._card)
        if tag == "a" and self._card is not None and not self._card.href:
            self._card.href = attributes.get("href") or ""
        if tag == "a" and self._nav_depth:
            self._nav_href = attributes.get("href")
        if tag == "img" and "alt" not in attributes:
            self.page.images_without_alt.append(attributes.get("src") or "")
        for name in ("src", "href"):
            value = attributes.get(name) or ""
            if tag in ("img", "script", "link") and value and not value.startswith("/"):
                self.page.external_urls.append(value)
        if tag == "div" and "banner" in (attributes.get("class") or ""):
            self._banner = []

    def handle_endtag(self, tag: str) -> None:
        if tag == "li":
            self._card = None
        if tag == "nav":
            self._nav_depth -= 1
        if tag == "div" and self._banner is not None:
            self.page.banners.append(" ".join(self._banner))
            self._banner = None

    def handle_data(self, data: str) -> None:
        text = data.strip()
        if not text:
            return
        self.page.text.append(text)
        if self._card is not None:
            self._card.text.append(text)
        if self._nav_href is not None:
            self.page.nav_links[text] = self._nav_href
            self._nav_href = None
        if self._banner is not None:
            self._banner.append(text)


def parse_page(html: str) -> PageStructure:
    parser = _Parser()
    parser.feed(html)
    return parser.page
