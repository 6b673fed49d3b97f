"""Site: one Site becomes its product resources, image pre-pull, shared storage, service accounts, network
policies and Keycloak; its status tells the truth about every enabled product.

Bad input never deletes what runs: when the database settings cannot be read, the products keep the database
settings they had; when the spec cannot be understood, nothing is changed and a condition says why.
"""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from typing import Any

import structlog
from pydantic import ValidationError

from teamop.api.v1beta1 import Site
from teamop.controllers.generated import KeySource, resolve_secrets
from teamop.controllers.kept import report_kept_fields
from teamop.controllers.kinds import (
    CHRONICLE,
    CONFIG_MAP,
    CONNECT,
    DAEMON_SET,
    DEPLOYMENT,
    FINALIZER,
    FLIGHTDECK,
    JOB,
    KEYCLOAK,
    NETWORK_POLICY,
    PACKAGE_MANAGER,
    PERSISTENT_VOLUME,
    PERSISTENT_VOLUME_CLAIM,
    POSTGRES_DATABASE,
    SECRET,
    SERVICE_ACCOUNT,
    SITE,
    WORKBENCH,
)
from teamop.controllers.render_inputs import host_and_port
from teamop.controllers.secrets import (
    SecretProblem,
    admin_login,
    kubernetes_secret_name,
    read_secret_name,
    secret_reader,
)
from teamop.products.aws_secrets import SECRET_PROVIDER_CLASS, is_aws
from teamop.products.context import SecretKeyRef, SecretNeed
from teamop.products.database import PASSWORD_KEYS
from teamop.products.naming import database_identifier
from teamop.products.refusals import invalid_spec_message
from teamop.products.site import PRODUCTS, DatabaseServer, SiteInputs, enabled_sections, product_host, render_site
from teamop.products.site.keycloak import KEYCLOAK_USER_KEY, aws_login
from teamop.products.traefik import MIDDLEWARE, MIDDLEWARE_CRD
from teamop.runtime.conditions import Conditions
from teamop.runtime.controller import Controller, ControllerBuilder
from teamop.runtime.errors import Invalid, NotFound
from teamop.runtime.finalizers import add_finalizer, has_finalizer, is_being_deleted, remove_finalizer
from teamop.runtime.kinds import GVK
from teamop.runtime.manager import Manager
from teamop.runtime.ownership import OwnershipConflict
from teamop.runtime.reconcile import Request, Result
from teamop.runtime.served import ServedOnce, served_kinds
from teamop.runtime.store import Obj

log = structlog.get_logger(__name__)

PRODUCT_KINDS: dict[str, GVK] = {"Connect": CONNECT, "Workbench": WORKBENCH, "PackageManager": PACKAGE_MANAGER,
                                 "Chronicle": CHRONICLE, "Flightdeck": FLIGHTDECK}
# ConfigMap and Job: the volume source's subdirectory Job and its script.
OWNED_KINDS = (*PRODUCT_KINDS.values(), DAEMON_SET, NETWORK_POLICY, SERVICE_ACCOUNT, PERSISTENT_VOLUME_CLAIM,
               POSTGRES_DATABASE, SECRET, CONFIG_MAP, JOB)
OWNER_ANNOTATION = "posit.team/owner"  # on cluster-scoped objects: `<namespace>/<site>`
INVALID_SPEC_RECHECK_SECONDS = 600.0
FAILURE_REASONS = frozenset({"InvalidSpec", "SecretKeyMissing", "OwnershipConflict"})
"""The reasons a product controller gives when it cannot apply the product at all."""
RETRY_SECONDS = 30.0


class SiteReconciler:
    def __init__(self, manager: Manager) -> None:
        self.manager = manager
        self.cache = manager.cache
        self.secrets = secret_reader(manager)
        self.client = manager.client
        self.controller: Controller | None = None  # set by setup: Keycloak's kinds are watched once served

    async def reconcile(self, request: Request) -> Result | None:
        obj = self.cache.get(SITE, request.name, request.namespace)
        if obj is None:
            return None
        if is_being_deleted(obj):
            return await self._finalize(obj)
        conditions = Conditions.of(obj)
        try:
            site = Site.model_validate(obj)
        except ValidationError as error:
            message = f"the Site's spec is invalid, nothing was changed: {_first_error(error)}"
            return await self._failed(obj, conditions, "InvalidSpec", message)
        name, namespace = request.name, request.namespace
        served = ServedOnce(served_kinds(self.manager), wakes=self.controller)
        database, database_problem = await self._database(obj, site)
        inputs, generated = await self._keycloak_inputs(site, name, namespace, database, served)
        rendered = render_site(name, namespace, site.spec, inputs)
        if rendered.cluster_objects and not has_finalizer(obj, FINALIZER):
            await add_finalizer(self.client, obj, FINALIZER)
            return None  # back with the finalizer in the cache
        desired = [*rendered.objects, *([generated] if generated else [])]
        owned = [*OWNED_KINDS, *await self._served_keycloak_kinds(served)]
        refused: str | None = None
        try:
            report = await self.manager.applier.ensure_children(obj, desired, owned_kinds=owned)
            kept = [*report.kept, *await self._ensure_cluster_objects(obj, rendered.cluster_objects)]
        except OwnershipConflict as conflict:
            return await self._failed(obj, conditions, "OwnershipConflict", str(conflict))
        except Invalid as error:
            # What was written stays and nothing is deleted; the products' states are still reported below.
            refused = invalid_spec_message(error.message)
            self.manager.events.record(obj, "Warning", "InvalidSpec", refused)
        else:
            report_kept_fields(self.manager, obj, conditions, kept)
        for notice in rendered.notices:
            conditions.set(notice.condition, notice.status, notice.reason, notice.message)
            if notice.warning:
                self.manager.events.record(obj, "Warning", notice.reason, notice.message)
        await self._traefik_condition(conditions, site, served)
        for stale in ("StorageReady", "KeycloakReady", "ChronicleAgents", "AuthConfigured"):
            if stale not in {n.condition for n in rendered.notices}:
                conditions.remove(stale)
        if database_problem is not None:
            conditions.set("DatabaseConfigured", False, database_problem.reason, str(database_problem))
            self.manager.events.record(obj, "Warning", database_problem.reason, str(database_problem))
        else:
            conditions.set("DatabaseConfigured", True, "DatabaseConfigured",
                           f"products' databases live on {database.host}:{database.port}" if database else "")
        await self._write_status(obj, site, conditions, refused)
        if refused is not None:
            return Result(requeue_after=INVALID_SPEC_RECHECK_SECONDS)
        return Result(requeue_after=RETRY_SECONDS) if database_problem is not None else None

    # --- inputs ----------------------------------------------------------------------------------------------
    async def _database(self, obj: Obj, site: Site) -> tuple[DatabaseServer | None, SecretProblem | None]:
        """The database server from the admin URL; when it cannot be read, the one the products already use."""
        spec = site.spec
        if not enabled_sections(spec) or spec.workload_secret is None:
            return None, None
        try:
            login = await admin_login(self.secrets, obj["metadata"]["namespace"], spec.workload_secret.to_dict(),
                                      spec.main_database_credential_secret.to_dict()
                                      if spec.main_database_credential_secret else None)
        except SecretProblem as problem:
            return self._database_in_use(obj), problem
        return DatabaseServer(login.host, login.port, login.sslmode), None

    async def _keycloak_inputs(self, site: Site, name: str, namespace: str, database: DatabaseServer | None,
                               served: ServedOnce) -> tuple[SiteInputs, dict[str, Any] | None]:
        """What Keycloak needs from the cluster, and its `-generated` Secret (None when Keycloak is not enabled or
        its CRD not installed). The role's name and password are the site secret's `keycloak-db-user` and
        `keycloak-db-password` when it has them (the Go operator's layout), else kept in `-generated`."""
        if not (site.spec.keycloak and site.spec.keycloak.enabled):
            return SiteInputs(database=database), None
        if not await served.served(KEYCLOAK):
            return SiteInputs(database=database), None
        middleware = await served.served(MIDDLEWARE)
        if is_aws(site.spec.secret):  # synced by the CSI driver from the AWS secret: nothing to generate
            user_ref, password_ref = aws_login(name)
            provider_classes = await served.served(SECRET_PROVIDER_CLASS)
            return SiteInputs(database=database, keycloak_crd_installed=True, keycloak_password=password_ref,
                              keycloak_user=user_ref, traefik_crd_installed=middleware,
                              secret_provider_class_crd_installed=provider_classes), None
        site_secret = _site_secret_name(site)
        user = SecretNeed(KEYCLOAK_USER_KEY, generate=False)
        resolved = await resolve_secrets(
            self.client, self.secrets, namespace=namespace, site=name, component="keycloak",
            site_secret=site_secret, needs=[SecretNeed(PASSWORD_KEYS["keycloak"]), user],
            fixed={KEYCLOAK_USER_KEY: database_identifier(name, "keycloak")}, recent=self.manager.applier)
        user_ref = resolved.refs[KEYCLOAK_USER_KEY]  # the role teamop creates, kept in `-generated`
        if site_secret and resolved.sources.get(KEYCLOAK_USER_KEY) is KeySource.SITE_SECRET:
            user_ref = SecretKeyRef(site_secret, KEYCLOAK_USER_KEY)
        inputs = SiteInputs(database=database, keycloak_crd_installed=True,
                            keycloak_password=resolved.refs[PASSWORD_KEYS["keycloak"]], keycloak_user=user_ref,
                            traefik_crd_installed=middleware)
        return inputs, resolved.generated

    async def _served_keycloak_kinds(self, served: ServedOnce) -> list[GVK]:
        """The kinds of Keycloak's objects the Site may own once the Keycloak CRD is served, whether Keycloak is
        enabled or not: a Site that turns Keycloak off has its Keycloak resource, Middleware, SecretProviderClass
        and sync Deployment deleted. Each is watched from the first time it is served, so that one deleted by hand
        is made again at once."""
        if not await served.served(KEYCLOAK):
            return []
        kinds = [KEYCLOAK, DEPLOYMENT]
        kinds += [gvk for gvk in (MIDDLEWARE, SECRET_PROVIDER_CLASS) if await served.served(gvk)]
        if self.controller is not None:
            for gvk in kinds:
                await self.controller.add_owned(gvk, label_selector=self.manager.managed_by.selector)
        return kinds

    def _database_in_use(self, obj: Obj) -> DatabaseServer | None:
        for gvk in (CONNECT, WORKBENCH, PACKAGE_MANAGER):
            product = self.cache.get(gvk, obj["metadata"]["name"], obj["metadata"]["namespace"])
            config = ((product or {}).get("spec") or {}).get("databaseConfig") or {}
            address = host_and_port(config.get("host"))
            if address:
                return DatabaseServer(*address, str(config.get("sslMode") or "prefer"))
        return None

    async def _traefik_condition(self, conditions: Conditions, site: Site, served: ServedOnce) -> None:
        """`TraefikMiddlewares`, while a product routes through Middlewares of its own: whether they could be made."""
        routed: list[str] = [s for s in ("connect", "workbench") if s in enabled_sections(site.spec)]
        if site.spec.keycloak and site.spec.keycloak.enabled:
            routed.append("keycloak")
        if not routed:
            conditions.remove("TraefikMiddlewares")
        elif await served.served(MIDDLEWARE):
            conditions.set("TraefikMiddlewares", True, "MiddlewaresCreated", f"for {', '.join(routed)}")
        else:
            conditions.set("TraefikMiddlewares", False, "CRDNotInstalled",
                           f"the CRD {MIDDLEWARE_CRD} is not installed: the Ingresses of {', '.join(routed)} name "
                           "Traefik Middlewares that were not created")

    # --- cluster-scoped objects ------------------------------------------------------------------------------
    async def _ensure_cluster_objects(self, obj: Obj, desired: list[dict[str, Any]]) -> list[str]:
        """Apply the cluster-scoped objects and delete those no longer desired; returns the immutable fields kept."""
        owner = _owner_key(obj)
        for item in desired:
            item["metadata"].setdefault("annotations", {})[OWNER_ANNOTATION] = owner
        kept = (await self.manager.applier.ensure_children(obj, desired, owned_kinds=())).kept if desired else []
        wanted = {item["metadata"]["name"] for item in desired}
        for volume in self._cluster_objects_of(obj):
            if volume["metadata"]["name"] not in wanted:
                await self._delete_volume(volume)
        return kept

    def _cluster_objects_of(self, obj: Obj) -> list[Obj]:
        owner = _owner_key(obj)
        try:
            volumes = self.cache.list(PERSISTENT_VOLUME, label_selector=f"posit.team/site={obj['metadata']['name']}")
        except LookupError:
            return []
        return [v for v in volumes if ((v["metadata"].get("annotations") or {}).get(OWNER_ANNOTATION) == owner)]

    async def _delete_volume(self, volume: Obj) -> None:
        with contextlib.suppress(NotFound):
            await self.client.delete(PERSISTENT_VOLUME, volume["metadata"]["name"], uid=volume["metadata"]["uid"])

    async def _finalize(self, obj: Obj) -> Result | None:
        if not has_finalizer(obj, FINALIZER):
            return None
        for volume in self._cluster_objects_of(obj):
            await self._delete_volume(volume)
        await remove_finalizer(self.client, obj, FINALIZER)
        return None

    # --- status ------------------------------------------------------------------------------------------------
    async def _failed(self, obj: Obj, conditions: Conditions, reason: str, message: str) -> Result:
        self.manager.events.record(obj, "Warning", reason, message)
        conditions.set("Ready", False, reason, message)
        await self.manager.status.update(obj, {
            **_kept_status(obj), "conditions": conditions.items, "ready": False,
            "observedGeneration": obj["metadata"].get("generation"),
        })
        return Result(requeue=True)

    async def _write_status(self, obj: Obj, site: Site, conditions: Conditions, refused: str | None = None) -> None:
        """The products' states; `refused`: why the API server refused one of the Site's own objects."""
        name, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
        products: dict[str, dict[str, Any]] = {}
        waiting: list[str] = []
        for section in enabled_sections(site.spec):
            kind, _ = PRODUCTS[section]
            product = self.cache.get(PRODUCT_KINDS[kind], name, namespace)
            summary = _product_summary(product, f"https://{product_host(site.spec, section)}")
            products[section] = summary
            if not summary["ready"]:
                waiting.append(f"{section}: {summary.get('message') or 'not ready'}")
        ready = not waiting and bool(products) and refused is None
        if refused is not None:
            conditions.set("Ready", False, "InvalidSpec", "; ".join([refused, *waiting]))
            conditions.set("Progressing", False, "InvalidSpec", refused)
        elif ready:
            conditions.set("Ready", True, "AllProductsReady", f"{len(products)} product(s) ready")
            conditions.set("Progressing", False, "Converged", "every product is ready")
        else:
            message = "; ".join(waiting) if waiting else "no product is enabled"
            conditions.set("Ready", False, "ProductsNotReady" if waiting else "NoProducts", message)
            conditions.set("Progressing", bool(waiting), "WaitingForProducts" if waiting else "Converged", message)
        degraded = [f"{section}: {p.get('message')}" for section, p in products.items() if p.get("degraded")]
        if refused is not None:
            conditions.set("Degraded", True, "InvalidSpec", "; ".join([refused, *degraded]))
        elif degraded:
            conditions.set("Degraded", True, "ProductDegraded", "; ".join(degraded))
        else:
            conditions.set("Degraded", False, "AsExpected", "")
        for summary in products.values():
            summary.pop("degraded", None)
        await self.manager.status.update(obj, {
            "conditions": conditions.items,
            "observedGeneration": obj["metadata"].get("generation"),
            "ready": ready,
            "products": products,
        })


def _product_summary(product: Mapping[str, Any] | None, url: str) -> dict[str, Any]:
    if product is None:
        return {"url": url, "ready": False, "message": "being created", "degraded": False}
    status = product.get("status") or {}
    conditions = {c.get("type"): c for c in status.get("conditions") or []}
    ready_condition = conditions.get("Ready") or {}
    degraded = conditions.get("Degraded") or {}
    generation_seen = status.get("observedGeneration") == product["metadata"].get("generation")
    ready = bool(status.get("ready")) and generation_seen
    summary: dict[str, Any] = {"url": url, "ready": ready, "degraded": degraded.get("status") == "True"}
    for key in ("readyReplicas", "desiredReplicas"):
        if status.get(key) is not None:
            summary[key] = status[key]
    if not ready:
        reason = ready_condition.get("reason") if ready_condition.get("status") == "False" else None
        message = (degraded.get("message") or ready_condition.get("message")
                   or ("waiting for the product controller" if not generation_seen else "not ready"))
        # A failure the product's controller named (InvalidSpec, SecretKeyMissing, ...) leads its message.
        summary["message"] = f"{reason}: {message}" if reason in FAILURE_REASONS else message
    return summary


def _kept_status(obj: Obj) -> dict[str, Any]:
    status = obj.get("status") or {}
    return {k: status[k] for k in ("products",) if k in status}


def _first_error(error: ValidationError) -> str:
    first = error.errors()[0]
    location = ".".join(str(part) for part in first.get("loc", ()))
    return f"{location}: {first.get('msg')}"


def _site_secret_name(site: Site) -> str | None:
    try:
        return kubernetes_secret_name(site.spec.secret.to_dict() if site.spec.secret else None, "spec.secret")
    except SecretProblem:
        return None


def _owner_key(obj: Obj) -> str:
    return f"{obj['metadata']['namespace']}/{obj['metadata']['name']}"


def setup(manager: Manager, *, max_concurrent_reconciles: int = 2) -> None:
    """Register the Site controller: Sites, what they own, and the Secrets holding their database settings."""
    reconciler = SiteReconciler(manager)

    def sites_reading(secret: Mapping[str, Any]) -> list[Request]:
        metadata = secret.get("metadata") or {}
        namespace, secret_name = metadata.get("namespace", ""), metadata.get("name")
        requests = []
        for site in manager.cache.list(SITE, namespace or None):
            spec = site.get("spec") or {}
            names = {read_secret_name(spec.get(f)) for f in ("workloadSecret", "mainDatabaseCredentialSecret",
                                                              "secret")}
            if secret_name in names:
                requests.append(Request.of(site))
        return requests

    def site_of_volume(volume: Mapping[str, Any]) -> list[Request]:
        owner = ((volume.get("metadata") or {}).get("annotations") or {}).get(OWNER_ANNOTATION, "")
        namespace, _, name = owner.partition("/")
        return [Request(namespace, name)] if namespace and name else []

    builder = ControllerBuilder(manager).named("site").for_(SITE)
    for gvk in OWNED_KINDS:
        builder = builder.owns(gvk)
    reconciler.controller = (
        builder.watches(SECRET, sites_reading)
        .watches(PERSISTENT_VOLUME, site_of_volume, label_selector=manager.managed_by.selector)
        .with_options(max_concurrent_reconciles=max_concurrent_reconciles)
        .complete(reconciler)
    )
