"""Every object the operator would create for a Site, without a cluster (`teamop render`).

The Site's children come from `render_site`, as the Site controller renders them; each product resource is then
rendered by its product's renderer from the inputs the product controller would compute
(`controllers/render_inputs.py`), under stated assumptions instead of the cluster's answers:

- the site secret holds none of the optional keys, so every key a product can generate is generated into
  `<site>-<component>-generated` (shown with the value `<generated>`) and keys only a user can supply (an OIDC
  client secret, a licence) are missing;
- the workload Secret's admin URL names `database` (the server only: no credentials are ever taken);
- the Keycloak CRD is installed when `spec.keycloak.enabled` asks for Keycloak.

Every Secret's values are replaced by a placeholder: a preview never holds a secret value.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pydantic import ValidationError

from teamop.api.v1beta1 import GROUP, Site
from teamop.controllers.generated import generated_keys, generated_secret
from teamop.controllers.registry import DEFAULT_OPERATOR_IMAGE, PRODUCT_KINDS
from teamop.controllers.render_inputs import (
    DatabaseAddress,
    ProductKind,
    configured_database,
    password_key,
    product_secret_needs,
    render_context,
    site_secret_name,
    with_secret_values,
)
from teamop.controllers.secrets import SecretProblem, admin_secret_name
from teamop.controllers.site import OWNER_ANNOTATION
from teamop.products.aws_secrets import product_secrets
from teamop.products.context import SecretKeyRef, SecretNeed
from teamop.products.database import PASSWORD_KEYS
from teamop.products.naming import database_identifier, generated_secret_name
from teamop.products.refusals import invalid_spec_message, refusal
from teamop.products.site import DatabaseServer, SiteInputs, enabled_sections, render_site
from teamop.products.site.keycloak import KEYCLOAK_USER_KEY
from teamop.products.workbench.placeholders import MissingSecretValue
from teamop.runtime.ownership import ManagedBy

GENERATED = "<generated>"
"""The value shown for a key teamop would generate."""
REDACTED = "<redacted>"
"""The value shown for every other Secret key."""
DEFAULT_DATABASE = DatabaseServer("postgres.example.com", 5432, "prefer")


@dataclass(frozen=True)
class PlannedObject:
    owner: str
    """`Kind/name` of the object that owns it (the Site, or a product resource)."""
    body: dict[str, Any]


@dataclass
class SitePlan:
    objects: list[PlannedObject] = field(default_factory=list)
    """In apply order: the Site's children (product resources included), then each product's objects."""
    notes: list[str] = field(default_factory=list)
    """What the controllers would report in conditions and Warning Events, and what was assumed."""
    errors: list[str] = field(default_factory=list)
    """Where a controller would fail: a product its renderer refuses (its objects are missing), or an object the
    API server would refuse (shown as it would be sent)."""


def plan_site(
    site: Site,
    namespace: str,
    *,
    database: DatabaseServer | None = DEFAULT_DATABASE,
    operator_image: str = DEFAULT_OPERATOR_IMAGE,
    keycloak_crd_installed: bool = True,
) -> SitePlan:
    """What the operator would create for `site` in `namespace` (see the module's assumptions)."""
    name = site.metadata.name
    if not name:
        raise ValueError("the Site has no metadata.name")
    spec = site.spec
    plan = SitePlan()
    owner = f"Site/{name}"

    server = _site_database(spec, database, plan.notes, owner)
    keycloak = bool(spec.keycloak and spec.keycloak.enabled)
    inputs = SiteInputs(database=server)
    keycloak_secret = None
    if keycloak:
        key = PASSWORD_KEYS["keycloak"]
        inputs = SiteInputs(database=server, keycloak_crd_installed=keycloak_crd_installed,
                            keycloak_password=SecretKeyRef(generated_secret_name(name, "keycloak"), key)
                            if keycloak_crd_installed else None)
        if keycloak_crd_installed:
            keycloak_secret = _generated(name, namespace, "keycloak", [SecretNeed(key)])
            if keycloak_secret is not None:
                keycloak_secret["data"][KEYCLOAK_USER_KEY] = database_identifier(name, "keycloak")
            plan.notes.append(f"{owner}: assumed the Keycloak CRD (keycloaks.k8s.keycloak.org) is installed")
    rendered = render_site(name, namespace, spec, inputs)
    for notice in rendered.notices:
        plan.notes.append(f"{owner}: {notice.condition} {notice.reason}: {notice.message}")
    if rendered.cluster_objects:
        plan.notes.append(f"{owner}: the Site controller adds its finalizer to the Site (cluster-scoped volumes)")
    site_objects = [*rendered.objects, *([keycloak_secret] if keycloak_secret else [])]
    plan.errors += _refusals(owner, site_objects)
    plan.objects += [PlannedObject(owner, _marked(obj, namespace)) for obj in site_objects]
    for volume in rendered.cluster_objects:
        body = _marked(volume, None)
        body["metadata"].setdefault("annotations", {})[OWNER_ANNOTATION] = f"{namespace}/{name}"
        plan.objects.append(PlannedObject(owner, body))

    kinds = {kind.gvk.kind: kind for kind in PRODUCT_KINDS}
    for resource in rendered.objects:
        kind = kinds.get(resource["kind"])
        if kind is not None and resource.get("apiVersion") == kind.gvk.api_version:
            plan.objects += _plan_product(kind, resource, namespace, operator_image, plan)
    return plan


def _site_database(spec: Any, database: DatabaseServer | None, notes: list[str],
                   owner: str) -> DatabaseServer | None:
    """The server the Site controller would read from the workload Secret (assumed to name `database`)."""
    if not enabled_sections(spec) or database is None:
        return None
    if spec.workload_secret is None:
        notes.append(f"{owner}: spec.workloadSecret is not set: no product gets a database (no admin URL)")
        return None
    try:
        admin_secret_name(spec.workload_secret.to_dict(), "spec.workloadSecret")
    except SecretProblem as problem:
        notes.append(f"{owner}: DatabaseConfigured=False {problem.reason}: {problem}")
        return None
    return database


def _plan_product(kind: ProductKind, resource: dict[str, Any], namespace: str, operator_image: str,
                  plan: SitePlan) -> list[PlannedObject]:
    """A product resource's objects, rendered as its controller would render them."""
    notes = plan.notes
    site = resource["metadata"]["name"]
    owner = f"{kind.gvk.kind}/{site}"
    try:
        spec = kind.model.model_validate(resource).spec  # type: ignore[attr-defined]
    except ValidationError as error:
        first = error.errors()[0]
        where = ".".join(str(p) for p in first.get("loc", ()))
        plan.errors.append(f"{owner}: the {kind.component} controller would report InvalidSpec: {where}: "
                           f"{first.get('msg')}")
        return []
    needs = product_secret_needs(kind, spec)
    try:
        site_secret_name(spec)
    except SecretProblem as problem:
        notes.append(f"{owner}: Degraded {problem.reason}: {problem}")
    # The site secret holds none of the optional keys: every key that can be generated is generated.
    refs = {need.key: SecretKeyRef(generated_secret_name(site, kind.component), need.key)
            for need in needs if need.generate}
    aws = product_secrets(kind.component, spec, site)
    if aws is not None:  # secret.type aws: the keys the CSI driver syncs are read from its Secrets
        needs = [need for need in needs if need.key not in aws.refs]
        wanted = {need.key for need in product_secret_needs(kind, spec)}
        refs = {**{key: ref for key, ref in refs.items() if key not in aws.refs},
                **{key: ref for key, ref in aws.refs.items() if key in wanted}}
    database: DatabaseAddress | None = None
    if password_key(kind):
        database = configured_database(spec)
        if database is None:
            notes.append(f"{owner}: Degraded: no database for {kind.component} (spec.databaseConfig.host is unset)")
    context = render_context(kind, spec, site=site, namespace=namespace, secrets=refs, database=database,
                             operator_image=operator_image)
    try:
        rendered = kind.render(spec, context)
    except Exception as error:  # the controller's reconcile would fail the same way, and retry
        plan.errors.append(f"{owner}: the {kind.component} controller cannot render it: {error}")
        return []
    notes += [f"{owner}: RenderWarnings SpecPartlyIgnored: {warning}" for warning in rendered.warnings]
    try:
        objects = with_secret_values(rendered, {key: GENERATED for key in refs})
    except MissingSecretValue as missing:
        plan.errors.append(f"{owner}: Ready=False SecretKeyMissing: {missing} (the site secret must hold it); "
                           "nothing of this product would be applied")
        return []
    plan.errors += _refusals(owner, objects)
    generated = _generated(site, namespace, kind.component, needs)
    return [PlannedObject(owner, _marked(obj, namespace)) for obj in [*objects, *([generated] if generated else [])]]


def _refusals(owner: str, objects: Iterable[dict[str, Any]]) -> list[str]:
    """The objects the API server would refuse: their owner's controller would report InvalidSpec."""
    return [f"{owner}: Ready=False InvalidSpec: {invalid_spec_message(message)}"
            for message in map(refusal, objects) if message]


def _generated(site: str, namespace: str, component: str, needs: Iterable[SecretNeed]) -> dict[str, Any] | None:
    keys = generated_keys(needs)
    if not keys:
        return None
    return generated_secret(site, namespace, component, dict.fromkeys(keys, GENERATED), encode=False)


def _marked(obj: dict[str, Any], namespace: str | None) -> dict[str, Any]:
    """The object as the runtime applies it: in the namespace, with the managed-by label, Secret values hidden.
    (The controller reference is added too; it names the owner's uid, which only the cluster knows.)"""
    body = redacted(obj)
    metadata = body.setdefault("metadata", {})
    if namespace is None:
        metadata.pop("namespace", None)
    else:
        metadata.setdefault("namespace", namespace)
    metadata["labels"] = {**(metadata.get("labels") or {}), **ManagedBy().labels()}
    return body


def redacted(obj: dict[str, Any]) -> dict[str, Any]:
    """A copy of `obj` without secret values: a Secret's values (`data` and `stringData`, folded into `data`)
    become placeholders (`<generated>` staying as it is); in a teamop resource's spec, the fields that hold a
    secret in plain text (a licence key, a password, a client secret) become `<redacted>`."""
    body = copy.deepcopy(obj)
    if str(body.get("apiVersion", "")).startswith(f"{GROUP}/"):
        _redact_fields(body.get("spec"))
    if body.get("kind") != "Secret":
        return body
    values = {**(body.pop("stringData", None) or {}), **(body.get("data") or {})}
    body["data"] = {key: GENERATED if value == GENERATED else REDACTED for key, value in values.items()}
    return body


SECRET_FIELDS = frozenset({"password", "clientSecret", "client-secret", "client_secret"})


def _redact_fields(value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            _redact_fields(item)
        return
    if not isinstance(value, dict):
        return
    for key, item in value.items():
        if key in SECRET_FIELDS and isinstance(item, str) and item:
            value[key] = REDACTED
        elif key == "license" and isinstance(item, dict) and item.get("key"):
            item["key"] = REDACTED
        else:
            _redact_fields(item)
