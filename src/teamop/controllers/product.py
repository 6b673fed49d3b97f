"""One reconciler for every product kind (Connect, Workbench, Package Manager, Chronicle, Flightdeck): fetch the
inputs, render, hand the objects to the runtime, report status from what the workload really does.

A product is Ready only when its workload's ready replicas reach the desired count (and its database, if it has
one, is provisioned); pods that do not come up turn Degraded with the reason the scheduler or kubelet gave.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog
from pydantic import ValidationError

from teamop.api.v1beta1.resource import Resource
from teamop.controllers.aws_secrets import (
    CRD_MISSING_REASON,
    AwsKeys,
    aws_keys,
    set_secrets_synced,
    without_provider_classes,
)
from teamop.controllers.generated import predecessor_secret_name, resolve_secrets
from teamop.controllers.kept import report_kept_fields
from teamop.controllers.kinds import (
    CONFIG_MAP,
    DEPLOYMENT,
    INGRESS,
    PERSISTENT_VOLUME_CLAIM,
    POD,
    POD_DISRUPTION_BUDGET,
    POSTGRES_DATABASE,
    ROLE,
    ROLE_BINDING,
    SECRET,
    SERVICE,
    SERVICE_ACCOUNT,
    STATEFUL_SET,
)
from teamop.controllers.render_inputs import (
    DatabaseAddress,
    ProductKind,
    configured_database,
    dump,
    password_key,
    product_secret_needs,
    render_context,
    site_secret_name,
    with_secret_values,
)
from teamop.controllers.secrets import SecretProblem, admin_login, secret_reader
from teamop.products.aws_secrets import SECRET_PROVIDER_CLASS, product_secrets
from teamop.products.context import RenderContext
from teamop.products.naming import INSTANCE_LABEL, child_name, generated_secret_name
from teamop.products.refusals import invalid_spec_message
from teamop.products.rendered import Rendered
from teamop.products.traefik import MIDDLEWARE, MIDDLEWARE_CRD
from teamop.products.workbench.placeholders import MissingSecretValue
from teamop.runtime.cachetransform import status_only
from teamop.runtime.conditions import Conditions
from teamop.runtime.controller import Controller, ControllerBuilder
from teamop.runtime.errors import Invalid
from teamop.runtime.kinds import GVK
from teamop.runtime.manager import Manager
from teamop.runtime.ownership import OwnershipConflict
from teamop.runtime.reconcile import Request, Result
from teamop.runtime.served import served_kinds
from teamop.runtime.store import Obj

log = structlog.get_logger(__name__)

__all__ = ["OWNED_KINDS", "ProductKind", "ProductReconciler", "setup_product"]

OWNED_KINDS: tuple[GVK, ...] = (SERVICE_ACCOUNT, SECRET, CONFIG_MAP, ROLE, ROLE_BINDING, PERSISTENT_VOLUME_CLAIM,
                                POSTGRES_DATABASE, SERVICE, DEPLOYMENT, STATEFUL_SET, INGRESS, POD_DISRUPTION_BUDGET)
CHRONICLE_PORT = 5252
INVALID_SPEC_RECHECK_SECONDS = 600.0


@dataclass
class Inputs:
    context: RenderContext
    generated: dict[str, Any] | None
    problems: list[tuple[str, str]] = field(default_factory=list)  # (reason, message)
    values: Mapping[str, str] = field(default_factory=dict, repr=False)
    key_sources: str | None = None  # the Event text when keys are taken into `-generated` now (no values)
    aws: AwsKeys | None = None  # secret.type aws: the synced Secrets and whether their CRD is served
    traefik: bool = False  # Traefik's Middleware kind is served (only asked for products with middlewares)
    provider_classes: bool = False  # the Secrets Store CSI driver's SecretProviderClass kind is served


class ProductReconciler:
    def __init__(self, manager: Manager, kind: ProductKind, *, operator_image: str) -> None:
        self.manager = manager
        self.kind = kind
        self.cache = manager.cache
        self.secrets = secret_reader(manager)
        self.client = manager.client
        self.operator_image = operator_image
        self.controller: Controller | None = None  # set by setup_product: Middlewares are watched once served

    async def reconcile(self, request: Request) -> Result | None:
        obj = self.cache.get(self.kind.gvk, request.name, request.namespace)
        if obj is None or obj["metadata"].get("deletionTimestamp"):
            return None  # children go with it through the garbage collector
        conditions = Conditions.of(obj)
        try:
            spec = self.kind.model.model_validate(obj).spec  # type: ignore[attr-defined]
        except ValidationError as error:
            first = error.errors()[0]
            where = ".".join(str(p) for p in first.get("loc", ()))
            return await self._failed(obj, conditions, "InvalidSpec", f"{where}: {first.get('msg')}; nothing changed",
                                      retry_after=INVALID_SPEC_RECHECK_SECONDS)
        inputs = await self._inputs(obj, spec)
        rendered = self.kind.render(spec, inputs.context)
        try:
            objects = with_secret_values(rendered, inputs.values)
        except MissingSecretValue as missing:
            return await self._failed(obj, conditions, "SecretKeyMissing", str(missing))
        # The generated Secret first: the database and the workload read it.
        desired = [*([inputs.generated] if inputs.generated else []), *objects]
        # The Go operator's key Secret is read, never deleted, even when it names the product as its controller.
        predecessor = (SECRET, request.namespace, predecessor_secret_name(request.name, self.kind.component))
        keep = [predecessor]
        if inputs.aws is not None:  # keys generated before the secrets moved to AWS stay, should they move back
            keep.append((SECRET, request.namespace, generated_secret_name(request.name, self.kind.component)))
        owned_aws: tuple[GVK, ...] = ()
        if inputs.provider_classes:
            owned_aws = (SECRET_PROVIDER_CLASS,)
            if self.controller is not None:
                await self.controller.add_owned(SECRET_PROVIDER_CLASS, label_selector=self.manager.managed_by.selector)
        else:
            desired = without_provider_classes(desired)
        owned = OWNED_KINDS
        if inputs.traefik:
            owned = (*OWNED_KINDS, MIDDLEWARE)
            if self.controller is not None:
                await self.controller.add_owned(MIDDLEWARE, label_selector=self.manager.managed_by.selector)
        try:
            report = await self.manager.applier.ensure_children(obj, desired, owned_kinds=(*owned, *owned_aws),
                                                                keep=keep)
        except OwnershipConflict as conflict:
            return await self._failed(obj, conditions, "OwnershipConflict", str(conflict))
        except Invalid as refused:
            # The same spec would be refused again: look again only now and then (a spec change comes at once).
            return await self._failed(obj, conditions, "InvalidSpec", invalid_spec_message(refused.message),
                                      retry_after=INVALID_SPEC_RECHECK_SECONDS)
        report_kept_fields(self.manager, obj, conditions, report.kept)
        if inputs.key_sources:
            self.manager.events.record(obj, "Normal", "SecretKeysTaken", inputs.key_sources)
        for reason, message in inputs.problems:
            self.manager.events.record(obj, "Warning", reason, message)
        return await self._write_status(obj, spec, inputs, rendered, conditions)

    # --- inputs ----------------------------------------------------------------------------------------------
    async def _inputs(self, obj: Obj, spec: Any) -> Inputs:
        site, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
        problems: list[tuple[str, str]] = []
        needs = product_secret_needs(self.kind, spec)
        try:
            site_secret = site_secret_name(spec)
        except SecretProblem as problem:
            problems.append((problem.reason, str(problem)))
            site_secret = None
        aws = product_secrets(self.kind.component, spec, site)
        provider_classes = await served_kinds(self.manager).served(SECRET_PROVIDER_CLASS, wakes=self.controller)
        keys = None
        if aws is None:
            resolved = await resolve_secrets(self.client, self.secrets, namespace=namespace, site=site,
                                             component=self.kind.component, site_secret=site_secret, needs=needs,
                                             recent=self.manager.applier)
        else:
            keys = await aws_keys(self.client, self.secrets, namespace=namespace, site=site,
                                  component=self.kind.component, needs=needs, aws=aws, recent=self.manager.applier)
            keys.served = provider_classes
            resolved = keys.resolved
        database = None
        if password_key(self.kind):
            database, database_problem = await self._database(obj, spec)
            if database_problem:
                problems.append(database_problem)
        traefik = self.kind.middlewares and await served_kinds(self.manager).served(MIDDLEWARE, wakes=self.controller)
        context = render_context(self.kind, spec, site=site, namespace=namespace, secrets=resolved.refs,
                                 database=database, operator_image=self.operator_image, traefik_middlewares=traefik)
        return Inputs(context, resolved.generated, problems, resolved.values, resolved.note, traefik=traefik,
                      provider_classes=provider_classes, aws=keys)

    async def _database(self, obj: Obj, spec: Any) -> tuple[DatabaseAddress | None, tuple[str, str] | None]:
        """Where the product's database lives: `spec.databaseConfig.host` (set by the Site), else the admin URL
        of the workload Secret."""
        configured = configured_database(spec)
        if configured is not None:
            return configured, None
        try:
            login = await admin_login(self.secrets, obj["metadata"]["namespace"],
                                      dump(getattr(spec, "workload_secret", None)),
                                      dump(getattr(spec, "main_database_credential_secret", None)))
        except SecretProblem as problem:
            return None, (problem.reason, f"no database for {self.kind.component}: {problem}")
        return DatabaseAddress(login.host, login.port, login.sslmode), None

    # --- status ------------------------------------------------------------------------------------------------
    async def _failed(self, obj: Obj, conditions: Conditions, reason: str, message: str,
                      retry_after: float | None = None) -> Result:
        """Ready=False (and Degraded) with `reason`; retried with backoff, or after `retry_after` seconds."""
        self.manager.events.record(obj, "Warning", reason, message)
        conditions.set("Ready", False, reason, message)
        conditions.set("Degraded", True, reason, message)
        status = {**(obj.get("status") or {}), "conditions": conditions.items, "ready": False,
                  "observedGeneration": obj["metadata"].get("generation")}
        await self.manager.status.update(obj, status)
        return Result(requeue_after=retry_after) if retry_after else Result(requeue=True)

    async def _write_status(self, obj: Obj, spec: Any, inputs: Inputs, rendered: Rendered,
                            conditions: Conditions) -> Result | None:
        site, namespace = obj["metadata"]["name"], obj["metadata"]["namespace"]
        name = child_name(site, self.kind.component)
        workload = self.cache.get(self.kind.workload, name, namespace)
        desired_workload = next((o for o in rendered.objects if o["kind"] == self.kind.workload.kind), None)
        desired = int(((desired_workload or {}).get("spec") or {}).get("replicas", 1))
        workload_status = (workload or {}).get("status") or {}
        ready_replicas = int(workload_status.get("readyReplicas") or 0)
        updated = int(workload_status.get("updatedReplicas") or 0)
        current = workload is not None and workload_status.get("observedGeneration") == workload["metadata"].get(
            "generation")
        workload_ready = current and ready_replicas >= desired and updated >= desired
        database_ready: bool | None = None
        problems = list(inputs.problems)
        if self.kind.has_database:
            database_ready, database_message = self._database_ready(namespace, name, inputs)
            if database_ready:
                conditions.set("DatabaseReady", True, "DatabaseReady", database_message)
            else:
                conditions.set("DatabaseReady", False, "DatabaseNotReady", database_message)
        secrets_waiting = set_secrets_synced(conditions, inputs.aws)
        if secrets_waiting and inputs.aws is not None and not inputs.aws.served:
            problems.append((CRD_MISSING_REASON, secrets_waiting))
        ready = workload_ready and database_ready is not False and secrets_waiting is None
        pod_problem = None if workload_ready else self._pod_problem(namespace, name)
        if ready:
            conditions.set("Ready", True, "Available", f"{ready_replicas}/{desired} replicas ready")
        else:
            waiting = [f"{ready_replicas}/{desired} replicas ready"]
            if database_ready is False:
                waiting.append(database_message)
            if secrets_waiting:
                waiting.append(secrets_waiting)
            if pod_problem:
                waiting.append(pod_problem)
            conditions.set("Ready", False, "NotReady", "; ".join(waiting))
        if pod_problem:
            conditions.set("Degraded", True, "PodsNotReady", pod_problem)
        elif problems:
            conditions.set("Degraded", True, problems[0][0], problems[0][1])
        else:
            conditions.set("Degraded", False, "AsExpected", "")
        if rendered.warnings:
            conditions.set("RenderWarnings", True, "SpecPartlyIgnored", "; ".join(rendered.warnings))
        else:
            conditions.remove("RenderWarnings")
        if self.kind.middlewares:
            set_traefik_condition(conditions, inputs.traefik)
        image = _first_image(desired_workload)
        status: dict[str, Any] = {
            "conditions": conditions.items,
            "observedGeneration": obj["metadata"].get("generation"),
            "ready": ready,
            "readyReplicas": ready_replicas,
            "desiredReplicas": desired,
        }
        url = getattr(spec, "url", None) or getattr(spec, "domain", None)
        if url:
            status["url"] = f"https://{url}"
        if image:
            status["image"] = image
        if database_ready is not None:
            status["databaseReady"] = database_ready
        if inputs.generated and "keySecretRef" in _status_fields(self.kind.model):
            status["keySecretRef"] = {"name": inputs.generated["metadata"]["name"], "namespace": namespace}
        await self.manager.status.update(obj, status)
        # No timer: every change that can make the product ready wakes it through a watch (its workload, its
        # database, its pods: a pod waiting for a node changes when it is scheduled).
        return None

    def _database_ready(self, namespace: str, name: str, inputs: Inputs) -> tuple[bool, str]:
        if inputs.context.database is None:
            return False, "no database configured: the Site's spec.workloadSecret names no usable admin URL"
        database = self.cache.get(POSTGRES_DATABASE, name, namespace)
        status = (database or {}).get("status") or {}
        if status.get("ready"):
            return True, f"database {inputs.context.database.database} is provisioned"
        ready: Mapping[str, Any] = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
        return False, f"PostgresDatabase {name}: {ready.get('message') or 'being provisioned'}"

    def _pod_problem(self, namespace: str, name: str) -> str | None:
        """Why the product's pods are not ready, in the words of the scheduler or the kubelet."""
        try:
            pods = self.cache.list(POD, namespace, label_selector=f"{INSTANCE_LABEL}={name}")
        except LookupError:
            return None
        for pod in pods:
            status = pod.get("status") or {}
            for condition in status.get("conditions") or []:
                if condition.get("type") == "PodScheduled" and condition.get("status") == "False":
                    return f"pod {pod['metadata']['name']} cannot be scheduled: {condition.get('message', '')}"
            for container in status.get("containerStatuses") or []:
                waiting = (container.get("state") or {}).get("waiting") or {}
                if waiting.get("reason") and waiting["reason"] != "ContainerCreating":
                    return f"pod {pod['metadata']['name']}: {waiting['reason']} {waiting.get('message', '')}".strip()
        return None


def set_traefik_condition(conditions: Conditions, served: bool) -> None:
    """`TraefikMiddlewares`: whether the Middlewares the Ingress names could be made (their CRD is served)."""
    if served:
        conditions.set("TraefikMiddlewares", True, "MiddlewaresCreated", "")
    else:
        conditions.set("TraefikMiddlewares", False, "CRDNotInstalled",
                       f"the CRD {MIDDLEWARE_CRD} is not installed: the Ingress names Traefik Middlewares that "
                       "were not created")


def _first_image(workload: Mapping[str, Any] | None) -> str | None:
    containers = (((workload or {}).get("spec") or {}).get("template") or {}).get("spec", {}).get("containers") or []
    return containers[0].get("image") if containers else None


def _status_fields(model: type[Resource]) -> set[str]:
    status_field = model.model_fields.get("status")
    annotation = status_field.annotation if status_field else None
    for candidate in getattr(annotation, "__args__", (annotation,)):
        fields = getattr(candidate, "model_fields", None)
        if fields:
            return {info.alias or name for name, info in fields.items()}
    return set()


def setup_product(manager: Manager, kind: ProductKind, *, operator_image: str,
                  max_concurrent_reconciles: int = 2, extra_owned: Sequence[GVK] = ()) -> None:
    reconciler = ProductReconciler(manager, kind, operator_image=operator_image)

    suffix = f"-{kind.component}"

    def product_of_pod(pod: Mapping[str, Any]) -> list[Request]:
        """A server pod (instance label `<site>-<component>`) → its product, named after the site."""
        metadata = pod.get("metadata") or {}
        instance = (metadata.get("labels") or {}).get(INSTANCE_LABEL, "")
        if not instance.endswith(suffix) or len(instance) == len(suffix):
            return []
        return [Request(metadata.get("namespace", ""), instance[: -len(suffix)])]

    manager.cache.set_transform(POD, status_only)  # a product's status reads its pods' status, nothing else
    builder = ControllerBuilder(manager).named(kind.component).for_(kind.gvk)
    for gvk in (*OWNED_KINDS, *extra_owned):
        builder = builder.owns(gvk)
    reconciler.controller = (
        builder.watches(POD, product_of_pod, label_selector=manager.managed_by.selector)
        # Secrets the CSI driver syncs (secret.type aws) carry the product's labels: their arrival is awaited.
        .watches(SECRET, product_of_pod, label_selector=manager.managed_by.selector)
        .with_options(max_concurrent_reconciles=max_concurrent_reconciles)
        .complete(reconciler)
    )
