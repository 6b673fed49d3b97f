"""Names and labels of everything teamop makes for a Site (COMPAT.md "Names and labels")."""

from __future__ import annotations

import re
from typing import Literal

Component = Literal["connect", "workbench", "packagemanager", "flightdeck", "chronicle", "keycloak"]

MANAGED_BY_LABEL = "app.kubernetes.io/managed-by"
MANAGED_BY = "team-operator"
NAME_LABEL = "app.kubernetes.io/name"
INSTANCE_LABEL = "app.kubernetes.io/instance"
SITE_LABEL = "posit.team/site"
COMPONENT_LABEL = "posit.team/component"

# app.kubernetes.io/name per component; part of immutable Deployment/StatefulSet selectors, so never change these.
APP_NAMES: dict[str, str] = {
    "connect": "connect",
    "workbench": "workbench",
    "packagemanager": "package-manager",
    "flightdeck": "flightdeck",
    "chronicle": "chronicle",
    "keycloak": "keycloak",
}


def child_name(site: str, component: str, suffix: str = "") -> str:
    """`<site>-<component>[-<suffix>]`, e.g. orbit-connect, orbit-workbench-login."""
    return f"{site}-{component}-{suffix}" if suffix else f"{site}-{component}"


def generated_secret_name(site: str, component: str) -> str:
    """The Secret teamop owns for keys the site secret lacks: `<site>-<component>-generated`."""
    return child_name(site, component, "generated")


def selector_labels(site: str, component: str) -> dict[str, str]:
    """Exactly the reference's selector labels (immutable on Deployments and StatefulSets)."""
    return {
        INSTANCE_LABEL: child_name(site, component),
        NAME_LABEL: APP_NAMES[component],
        MANAGED_BY_LABEL: MANAGED_BY,
    }


def component_labels(site: str, component: str) -> dict[str, str]:
    """Labels on every object of a component: the selector labels plus site and component (spelled as the
    app name, as the reference does: Package Manager's objects say `package-manager`)."""
    return {**selector_labels(site, component), SITE_LABEL: site, COMPONENT_LABEL: APP_NAMES[component]}


def database_identifier(site: str, component: str) -> str:
    """Database and role name `<site>_<component>`, characters outside [a-z0-9_] as `_` (e.g. orbit_connect)."""
    return re.sub(r"[^a-z0-9_]", "_", f"{site}_{component}".lower())
