"""Labels of the objects that belong to a Site as a whole (not to one of its products)."""

from __future__ import annotations

SITE_COMPONENT = "site"


def site_labels(site: str) -> dict[str, str]:
    """As the reference: name and component `site`, instance the Site's name."""
    return {
        "app.kubernetes.io/instance": site,
        "app.kubernetes.io/name": SITE_COMPONENT,
        "posit.team/component": SITE_COMPONENT,
        "posit.team/site": site,
    }
