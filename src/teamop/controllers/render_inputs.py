"""The pure part of a product controller's work: from what it found (where each secret key lives, the database
server) to the RenderContext a product renderer takes, and the rendered objects with secret values filled in.

The product controller finds its inputs in the cluster (`controllers/product.py`); `teamop render` assumes them
(`controllers/preview.py`). Both go through these functions, so what `teamop render` prints is what the
controller applies.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from teamop.api.v1beta1.resource import Resource
from teamop.controllers.kinds import DEPLOYMENT
from teamop.controllers.secrets import kubernetes_secret_name
from teamop.products.aws_secrets import is_aws
from teamop.products.chronicle import server_url as chronicle_server_url
from teamop.products.context import ChronicleAgent, RenderContext, SecretKeyRef, SecretNeed
from teamop.products.database import PASSWORD_KEYS, database_target, product_schemas
from teamop.products.rendered import Rendered
from teamop.products.workbench.placeholders import fill_secret_template
from teamop.runtime.kinds import GVK


@dataclass(frozen=True)
class ProductKind:
    """How to reconcile one product kind."""

    gvk: GVK
    component: str
    model: type[Resource]
    render: Callable[[Any, RenderContext], Rendered]
    secret_needs: Callable[[Any], list[SecretNeed]]
    has_database: bool = False
    workload: GVK = DEPLOYMENT
    chronicle_api_key: str | None = None
    middlewares: bool = False  # its Ingress goes through Traefik Middlewares of its own


@dataclass(frozen=True)
class DatabaseAddress:
    """The PostgreSQL server of a product's database (no credentials)."""

    host: str
    port: int
    sslmode: str | None = None


def password_key(kind: ProductKind) -> str | None:
    """The secret key of the product's database role password; None for products without a database."""
    return PASSWORD_KEYS.get(kind.component) if kind.has_database else None


def product_secret_needs(kind: ProductKind, spec: Any) -> list[SecretNeed]:
    """Every secret key the product needs: its renderer's, and its database password."""
    needs = list(kind.secret_needs(spec))
    key = password_key(kind)
    if key and all(n.key != key for n in needs):
        needs.append(SecretNeed(key))
    return needs


def site_secret_name(spec: Any) -> str | None:
    """The site secret the product's spec names (`spec.secret`); raises SecretProblem for unreadable types. None
    for secrets in AWS Secrets Manager: they come through the CSI driver (`controllers/aws_secrets.py`)."""
    config = dump(getattr(spec, "secret", None))
    if is_aws(config):
        return None
    return kubernetes_secret_name(config, "spec.secret")


def host_and_port(text: str | None) -> tuple[str, int] | None:
    """`host:port` as `databaseConfig.host` spells it, or None when it is not that."""
    host, _, port = str(text or "").rpartition(":")
    return (host, int(port)) if host and port.isdigit() else None


def configured_database(spec: Any) -> DatabaseAddress | None:
    """The server in `spec.databaseConfig.host` (`host:port`, set by the Site), if it names one."""
    address = host_and_port(getattr(getattr(spec, "database_config", None), "host", None))
    return DatabaseAddress(*address) if address else None


def chronicle_agent(site: str, namespace: str, spec: Any) -> ChronicleAgent | None:
    """The Chronicle agent sidecar, when the Site gave the product an agent image."""
    image = getattr(spec, "chronicle_image", None)
    if not image:
        return None
    return ChronicleAgent(image=image, server_url=chronicle_server_url(site, namespace))


def render_context(
    kind: ProductKind,
    spec: Any,
    *,
    site: str,
    namespace: str,
    secrets: Mapping[str, SecretKeyRef],
    database: DatabaseAddress | None,
    operator_image: str,
    traefik_middlewares: bool = False,
) -> RenderContext:
    """What the renderer is told besides the spec. `secrets` holds every resolved key (logical key → where it
    lives); `database` is the server of the product's database (None: no database can be configured). The
    sslmode is `spec.databaseConfig.sslMode`, else the server's, else `prefer`."""
    key = password_key(kind)
    target = None
    if key and database is not None:
        config = getattr(spec, "database_config", None)
        configured_sslmode = getattr(config, "ssl_mode", None)
        target = database_target(site, kind.component, host=database.host, port=database.port,
                                 sslmode=configured_sslmode or database.sslmode or "prefer", password=secrets[key],
                                 schemas=product_schemas(kind.component, config))
    return RenderContext(site=site, namespace=namespace, secrets=secrets, database=target,
                         chronicle=chronicle_agent(site, namespace, spec), operator_image=operator_image,
                         traefik_middlewares=traefik_middlewares)


def with_secret_values(rendered: Rendered, values: Mapping[str, str]) -> list[dict[str, Any]]:
    """The rendered objects, with the Secrets whose files hold placeholders filled in (Workbench's OIDC client
    secret file, for example). Values go straight into the Secret body, never into a log. Raises
    MissingSecretValue naming a key (never a value) that `values` lacks."""
    templates = {t.secret_name: t for t in getattr(rendered, "secret_templates", [])}
    objects = []
    for obj in rendered.objects:
        template = templates.get(obj["metadata"]["name"]) if obj["kind"] == "Secret" else None
        if template is not None:
            needed = {key: values[key] for key in template.refs if key in values}
            obj = fill_secret_template(obj, needed)
        objects.append(obj)
    return objects


def dump(value: Any) -> dict[str, Any] | None:
    """A model as its JSON object (only the fields that were set), or None."""
    return value.to_dict() if value is not None else None
