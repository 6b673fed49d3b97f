"""NetworkPolicies of a Site (as the reference: none while `networkTrust` > 50; per component at 50 or less).

Each enabled component gets a policy selecting its pods (and its session pods for Connect and Workbench) that
allows what the component needs and nothing else: users (through the ingress controller, from any namespace) to
the product's HTTP port, the product to its database and to DNS, servers to the Kubernetes API (session launchers)
and to their sessions, sessions back to their server, Chronicle agents to Chronicle, and products to the outside
world on HTTPS (package repositories, identity providers, S3). Keycloak's pods (made by the Keycloak operator) take
users on its HTTP and HTTPS ports and reach DNS, the database and identity providers on HTTPS.
"""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1 import SiteSpec
from teamop.products.naming import APP_NAMES, COMPONENT_LABEL, SITE_LABEL
from teamop.products.site.products import DatabaseServer, enabled_sections

TRUST_THRESHOLD = 50
SESSION_SUFFIX = "-session"

HTTP_PORTS = {"connect": [3939, 3232], "workbench": [8787], "packagemanager": [4242], "chronicle": [5252],
              "flightdeck": [8080], "keycloak": [8080, 8443]}
API_SERVER_PORTS = [443, 6443]
LAUNCHER_PORT = 5559
CHRONICLE_PORT = 5252
NFS_PORT = 2049

SECTION_COMPONENT = {"connect": "connect", "workbench": "workbench", "packageManager": "packagemanager",
                     "chronicle": "chronicle", "flightdeck": "flightdeck"}


def session_component(component: str) -> str:
    """The `posit.team/component` label of a product's session pods."""
    return f"{component}{SESSION_SUFFIX}"


def _keycloak_pods(site: str) -> dict[str, Any]:
    """The Keycloak operator labels the pods of the Keycloak resource `<site>-keycloak` with its name."""
    return {"matchLabels": {"app": "keycloak", "app.kubernetes.io/instance": f"{site}-keycloak"}}


def _pods(site: str, component: str) -> dict[str, Any]:
    """The pods of one component (or of its sessions) by their `posit.team/component` label."""
    return {"matchLabels": {SITE_LABEL: site, COMPONENT_LABEL: APP_NAMES.get(component, component)}}


def _tcp(ports: list[int]) -> list[dict[str, Any]]:
    return [{"protocol": "TCP", "port": port} for port in ports]


DNS_EGRESS: dict[str, Any] = {
    "to": [{"namespaceSelector": {}}],
    "ports": [{"protocol": "UDP", "port": 53}, {"protocol": "TCP", "port": 53}],
}
HTTPS_EGRESS: dict[str, Any] = {"ports": _tcp([443])}


def _from_anywhere(ports: list[int]) -> dict[str, Any]:
    """Users arrive through the ingress controller, whose namespace teamop cannot know: any pod, any namespace."""
    return {"from": [{"namespaceSelector": {}}], "ports": _tcp(ports)}


def _policy(site: str, namespace: str, name_component: str, selector: dict[str, Any],
            ingress: list[dict[str, Any]], egress: list[dict[str, Any]]) -> dict[str, Any]:
    return {
        "apiVersion": "networking.k8s.io/v1",
        "kind": "NetworkPolicy",
        "metadata": {"name": f"{site}-{name_component}", "namespace": namespace,
                     "labels": {SITE_LABEL: site, COMPONENT_LABEL: name_component}},
        "spec": {"podSelector": selector, "policyTypes": ["Ingress", "Egress"], "ingress": ingress,
                 "egress": egress},
    }


def network_policies(
    site: str, namespace: str, spec: SiteSpec, database: DatabaseServer | None
) -> list[dict[str, Any]]:
    if spec.network_trust > TRUST_THRESHOLD:
        return []
    enabled = {SECTION_COMPONENT[s] for s in enabled_sections(spec)}
    database_egress = [{"ports": _tcp([database.port if database else 5432])}]
    chronicle_egress = [{"to": [{"podSelector": _pods(site, "chronicle")}], "ports": _tcp([CHRONICLE_PORT])}] \
        if "chronicle" in enabled else []
    policies = []
    for server in ("connect", "workbench"):
        if server not in enabled:
            continue
        sessions = session_component(server)
        server_ports = HTTP_PORTS[server] + ([LAUNCHER_PORT] if server == "workbench" else [])
        policies.append(_policy(
            site, namespace, server, _pods(site, server),
            ingress=[_from_anywhere(HTTP_PORTS[server]),
                     {"from": [{"podSelector": _pods(site, sessions)}], "ports": _tcp(server_ports)}],
            egress=[DNS_EGRESS, *database_egress, {"ports": _tcp(API_SERVER_PORTS)},
                    {"to": [{"podSelector": _pods(site, sessions)}]}, *chronicle_egress, HTTPS_EGRESS],
        ))
        session_egress: list[dict[str, Any]] = [
            DNS_EGRESS,
            {"to": [{"podSelector": _pods(site, server)}], "ports": _tcp(server_ports)},
            HTTPS_EGRESS,
        ]
        if server == "workbench" and spec.efs_enabled and spec.vpc_cidr:
            session_egress.append({"to": [{"ipBlock": {"cidr": spec.vpc_cidr}}], "ports": _tcp([NFS_PORT])})
        policies.append(_policy(
            site, namespace, sessions, _pods(site, sessions),
            ingress=[{"from": [{"podSelector": _pods(site, server)}]}],
            egress=session_egress,
        ))
    if "packagemanager" in enabled:
        policies.append(_policy(
            site, namespace, "packagemanager", _pods(site, "packagemanager"),
            ingress=[_from_anywhere(HTTP_PORTS["packagemanager"])],
            egress=[DNS_EGRESS, *database_egress, HTTPS_EGRESS, {"ports": _tcp([22])}],
        ))
    if "chronicle" in enabled:
        policies.append(_policy(
            site, namespace, "chronicle", _pods(site, "chronicle"),
            ingress=[{"from": [{"podSelector": {"matchLabels": {SITE_LABEL: site}}}],
                      "ports": _tcp(HTTP_PORTS["chronicle"])}],
            egress=[DNS_EGRESS, HTTPS_EGRESS],
        ))
    if "flightdeck" in enabled:
        policies.append(_policy(
            site, namespace, "flightdeck", _pods(site, "flightdeck"),
            ingress=[_from_anywhere(HTTP_PORTS["flightdeck"])],
            egress=[DNS_EGRESS, {"ports": _tcp(API_SERVER_PORTS)}],
        ))
    if spec.keycloak and spec.keycloak.enabled:
        policies.append(_policy(
            site, namespace, "keycloak", _keycloak_pods(site),
            ingress=[_from_anywhere(HTTP_PORTS["keycloak"])],
            egress=[DNS_EGRESS, *database_egress, HTTPS_EGRESS],
        ))
    return policies
