"""Connect: `render(spec, context)` turns a Connect CR's spec into its objects and config files.

Objects (names as the reference, `<site>` = `context.site`): ServiceAccount `<site>-connect`; with off-host
execution also ServiceAccount `<site>-connect-session` (session pods), Role and RoleBinding `<site>-connect` bound
to the **server** ServiceAccount (the launcher runs in the server pod) and ConfigMap `<site>-connect-templates`;
ConfigMap `<site>-connect` (`rstudio-connect.gcfg`, `runtime.yaml`, `launcher.kubernetes.profiles.conf`); the
data PVC `<site>-connect` (also when the spec has no volume) and the PVCs of additional volumes marked
`create` (not the Site's shared directory `<site>-shared`, which the Site creates); a licence Secret for a
`KEY` licence given in the spec; PostgresDatabase `<site>-connect`; Service (http 80 → 3939, metrics 3232);
Ingress; Deployment; a PodDisruptionBudget when replicas > 1.

`secret_needs(spec)` lists the site-secret keys the controller must resolve into `context.secrets` before
rendering.
"""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1.connect import ConnectSpec
from teamop.products import connect_config as config
from teamop.products import images
from teamop.products.aws_secrets import (
    CONNECT_CLIENT_SECRET_FILE,
    aws_region,
    is_aws,
    product_secrets,
    session_secrets,
)
from teamop.products.context import RenderContext, SecretKeyRef, SecretNeed
from teamop.products.database import product_postgres_database
from teamop.products.launcher_templates import LAUNCHER_RULES, session_data, template_files, template_mounts
from teamop.products.license import CONNECT_LICENSE, LicenseParts, license_parts, site_secret_license_needs
from teamop.products.naming import child_name
from teamop.products.objects import (
    ServicePort,
    config_map,
    eks_role_annotations,
    ingress,
    pod_disruption_budget,
    role,
    role_binding,
    service,
    service_account,
    sticky_cookie_annotations,
)
from teamop.products.rendered import Rendered
from teamop.products.sidecar import API_KEY_SECRET_KEYS, chronicle_agent_container
from teamop.products.storage import additional_claims, additional_volume_parts, claim_volume, data_claim
from teamop.products.traefik import ingress_annotations, product_forward_middleware
from teamop.products.workload import (
    ContainerPort,
    HttpProbe,
    PodParts,
    Workload,
    deployment,
    env_from_secret,
    env_value,
    service_account_token_parts,
)

COMPONENT = "connect"
SESSION_COMPONENT = "connect-session"
CONTAINER = "connect"
SERVICE_PORT = 80
CONFIG_FILE = "rstudio-connect.gcfg"
RUNTIME_FILE = "runtime.yaml"
PROFILES_FILE = "launcher.kubernetes.profiles.conf"
TEMPLATE_DIR = f"{config.LAUNCHER_SCRATCH_PATH}/Kubernetes"
SECRET_KEY_PATH = f"{config.DATA_DIR}/db/secret.key"

DB_PASSWORD_KEY = "pub-db-password"
SECRET_KEY_KEY = "pub-secret-key"
CLIENT_SECRET_KEY = "pub-client-secret"
SMTP_KEYS: dict[str, str] = {
    "CONNECT_SMTP_HOST": "pub-smtp-host",
    "CONNECT_SMTP_PORT": "pub-smtp-port",
    "CONNECT_SMTP_USER": "pub-smtp-user",
    "CONNECT_SMTP_PASSWORD": "pub-smtp-password",
}

OWNED_KINDS: tuple[tuple[str, str], ...] = (
    ("v1", "ServiceAccount"),
    ("v1", "Secret"),
    ("v1", "ConfigMap"),
    ("rbac.authorization.k8s.io/v1", "Role"),
    ("rbac.authorization.k8s.io/v1", "RoleBinding"),
    ("v1", "PersistentVolumeClaim"),
    ("core.posit.team/v1beta1", "PostgresDatabase"),
    ("v1", "Service"),
    ("apps/v1", "Deployment"),
    ("networking.k8s.io/v1", "Ingress"),
    ("policy/v1", "PodDisruptionBudget"),
)
"""(apiVersion, kind) of every kind a Connect may own, for garbage collection of what is no longer desired."""


def _uses_smtp(spec: ConnectSpec) -> bool:
    server = spec.config.server if spec.config else None
    return bool(server and server.email_provider and server.email_provider.upper() == "SMTP")


def secret_needs(spec: ConnectSpec) -> list[SecretNeed]:
    needs = [SecretNeed(DB_PASSWORD_KEY), SecretNeed(SECRET_KEY_KEY, kind="hex-key", predecessor_key="key")]
    if config.auth_provider(spec.auth) == "oauth2":
        needs.append(SecretNeed(CLIENT_SECRET_KEY, generate=False))
    if spec.chronicle_sidecar_product_api_key_enabled:
        needs.append(SecretNeed(API_KEY_SECRET_KEYS["connect"], generate=False))
    if _uses_smtp(spec):
        needs.extend(SecretNeed(key, generate=False) for key in SMTP_KEYS.values())
    needs += site_secret_license_needs(spec.license, CONNECT_LICENSE)
    return needs


def _secret_key_parts(ref: SecretKeyRef) -> PodParts:
    volume = {
        "name": "key-volume",
        "secret": {"secretName": ref.name, "items": [{"key": ref.key, "path": "secret.key"}], "defaultMode": 384},
    }
    mount = {"name": "key-volume", "mountPath": SECRET_KEY_PATH, "subPath": "secret.key", "readOnly": True}
    return PodParts(volumes=[volume], mounts=[mount])


def _config_parts(site: str, off_host: bool) -> PodParts:
    mounts = [
        {"name": "config-volume", "mountPath": f"{config.CONFIG_DIR}/{CONFIG_FILE}", "subPath": CONFIG_FILE,
         "readOnly": True},
        {"name": "config-volume", "mountPath": config.RUNTIME_FILE, "subPath": RUNTIME_FILE, "readOnly": True},
        {"name": "config-volume", "mountPath": config.PROFILES_FILE, "subPath": PROFILES_FILE, "readOnly": True},
    ]
    volumes = [{"name": "config-volume", "configMap": {"name": child_name(site, COMPONENT), "defaultMode": 420}}]
    return PodParts(volumes=volumes, mounts=mounts)


def _template_parts(site: str) -> PodParts:
    volume = {"name": "template-config", "configMap": {"name": child_name(site, COMPONENT, "templates"),
                                                       "defaultMode": 420}}
    return PodParts(volumes=[volume], mounts=template_mounts("template-config", TEMPLATE_DIR))


def _optional_env(context: RenderContext, names: dict[str, str]) -> list[dict[str, Any]]:
    return [env_from_secret(env, context.secrets[key]) for env, key in names.items() if key in context.secrets]


def _session_data(spec: ConnectSpec, context: RenderContext) -> dict[str, Any]:
    site = context.site
    init_container = {
        "name": "init-runtime",
        "image": images.connect_content_init_image(spec.image, spec.session_image),
        "imagePullPolicy": "Always",
        "volumeMounts": [{"name": "init-volume", "mountPath": "/mnt/rstudio-connect-runtime"}],
    }
    volumes: list[dict[str, Any]] = [{"name": "init-volume", "emptyDir": {}}]
    mounts: list[dict[str, Any]] = [{"name": "init-volume", "mountPath": "/opt/rstudio-connect/"}]
    site_secret = spec.secret.vault_name if spec.secret and not is_aws(spec.secret) else None
    if spec.dsn_secret and site_secret:
        volumes.append({"name": "odbc-volume", "secret": {"secretName": site_secret,
                                                          "items": [{"key": spec.dsn_secret, "path": "odbc.ini"}]}})
        mounts.append({"name": "odbc-volume", "mountPath": "/etc/odbc.ini", "subPath": "odbc.ini", "readOnly": True})
    session_config = spec.session_config
    env: list[dict[str, Any]] = []
    sessions = session_secrets(spec, site, COMPONENT)
    if sessions is not None:  # secrets from AWS: sessions mount the site-session class and read what it syncs
        volumes += sessions.parts.volumes
        mounts += sessions.parts.mounts
        env = sessions.env
        if session_config is not None and session_config.pod is not None:
            session_config = session_config.model_copy(
                update={"pod": session_config.pod.model_copy(update={"env": None})})
    return session_data(
        site=site,
        session_component=SESSION_COMPONENT,
        service_account=child_name(site, COMPONENT, "session"),
        session_config=session_config,
        image_pull_policy=spec.image_pull_policy,
        image_pull_secrets=spec.image_pull_secrets or (),
        init_containers=[init_container],
        volumes=volumes,
        volume_mounts=mounts,
        env=env,
    )


def _security_context(off_host: bool) -> dict[str, Any]:
    # Running content in the server pod needs Connect's sandboxing, which needs a privileged container.
    return {"allowPrivilegeEscalation": True, "privileged": not off_host, "runAsNonRoot": False}


def render(spec: ConnectSpec, context: RenderContext) -> Rendered:
    site, namespace = context.site, context.namespace
    name = child_name(site, COMPONENT)
    off_host = bool(spec.off_host_execution)
    replicas = spec.replicas if spec.replicas is not None else 1
    rendered = Rendered()
    aws = product_secrets(COMPONENT, spec, site)

    claim = data_claim(site, namespace, COMPONENT, spec.volume)
    uses_client_secret_file = aws is not None and config.auth_provider(spec.auth) == "oauth2"
    rendered.files[CONFIG_FILE] = config.connect_gcfg(
        spec, namespace=namespace, database=context.database, data_claim=claim.claim_name, off_host=off_host,
        client_secret_file=CONNECT_CLIENT_SECRET_FILE if uses_client_secret_file else None,
    )
    rendered.files[RUNTIME_FILE] = config.runtime_yaml()
    rendered.files[PROFILES_FILE] = ""
    main_files = {key: rendered.files[key] for key in (CONFIG_FILE, RUNTIME_FILE, PROFILES_FILE)}
    rendered.add(config_map(site, namespace, COMPONENT, name, main_files))
    if off_host:
        sessions = session_secrets(spec, site, COMPONENT)
        if sessions is not None:
            rendered.add(sessions.provider_class.body(namespace, aws_region()))
        templates = template_files(_session_data(spec, context))
        rendered.files.update(templates)
        rendered.add(config_map(site, namespace, COMPONENT, child_name(site, COMPONENT, "templates"), templates))

    compound = spec.workload_compound_name or ""
    date = spec.cluster_date or ""
    # The reference names a role only when the Site gives both an AWS account and a cluster date.
    account = spec.aws_account_id if date else None
    # The reference's role name for the Connect server leaves the site out (unlike every other role).
    server_role = f"pub.{date}.{compound}.posit.team"
    rendered.add(
        service_account(
            site, namespace, COMPONENT, automount=True,
            annotations=eks_role_annotations(account, server_role),
        )
    )
    if off_host:
        session_role = f"pub-ses.{date}.{site}.{compound}.posit.team"
        rendered.add(
            service_account(site, namespace, COMPONENT, child_name(site, COMPONENT, "session"),
                            annotations=eks_role_annotations(account, session_role)),
            role(site, namespace, COMPONENT, name, LAUNCHER_RULES),
            role_binding(site, namespace, COMPONENT, name, name, name),
        )

    license = license_parts(site, namespace, COMPONENT, spec.license, CONNECT_LICENSE, context.secrets)
    if aws is not None:
        rendered.add(*aws.objects(namespace, aws_region()))
        if aws.license_parts is not None:  # the licence file from the CSI mount, as the reference
            license = LicenseParts(pod=aws.license_parts)
    if license.missing:
        rendered.warnings.append("no licence: the spec names no licence Secret and the site secret has no pub-license")
    rendered.add(license.secret, claim.pvc)
    rendered.add(*additional_claims(site, namespace, COMPONENT, spec.additional_volumes or ()))
    if context.database is not None:
        rendered.add(
            product_postgres_database(context.database, spec, site=site, namespace=namespace, component=COMPONENT)
        )

    env: list[dict[str, Any]] = []
    if context.database is not None:
        env += [
            env_from_secret("CONNECT_POSTGRES_PASSWORD", context.database.password),
            env_from_secret("CONNECT_POSTGRES_INSTRUMENTATIONPASSWORD", context.database.password),
        ]
    parts = PodParts.join(
        _config_parts(site, off_host),
        PodParts(volumes=[claim_volume("data-dir-volume", claim.claim_name)],
                 mounts=[{"name": "data-dir-volume", "mountPath": config.DATA_DIR}]),
        _template_parts(site) if off_host else PodParts(),
        _secret_key_parts(context.secret(SECRET_KEY_KEY)),
        license.pod,
        service_account_token_parts() if off_host else PodParts(),
        additional_volume_parts(spec.additional_volumes or []),
        aws.pod if aws is not None else PodParts(),
    )
    env += parts.env
    if off_host:
        env.append(env_value("LAUNCHER_INSTANCE_ID", name))
    if config.auth_provider(spec.auth) == "oauth2":
        env += _optional_env(context, {"CONNECT_OAUTH2_CLIENTSECRET": CLIENT_SECRET_KEY})
    if _uses_smtp(spec):
        env += _optional_env(context, SMTP_KEYS)

    sidecars = []
    if context.chronicle is not None:
        api_key = None
        if spec.chronicle_sidecar_product_api_key_enabled:
            api_key = context.secrets.get(API_KEY_SECRET_KEYS["connect"])
        sidecars.append(chronicle_agent_container(context.chronicle, "connect", api_key=api_key))

    workload = Workload(
        site=site,
        namespace=namespace,
        component=COMPONENT,
        container_name=CONTAINER,
        image=images.server_image("connect", spec.image),
        service_account=name,
        config_hash=rendered.config_hash,
        ports=(ContainerPort("http", config.HTTP_PORT), ContainerPort("metrics", config.METRICS_PORT)),
        image_pull_policy=spec.image_pull_policy,
        image_pull_secrets=spec.image_pull_secrets or (),
        command=["tini", "--"],
        args=["/usr/local/bin/startup.sh"],
        env=env,
        add_env=spec.add_env,
        volumes=parts.volumes,
        volume_mounts=parts.mounts,
        readiness_probe=HttpProbe("/__ping__"),
        security_context=_security_context(off_host),
        node_selector=spec.node_selector,
        sidecars=sidecars,
        automount_service_account_token=False,
        sleep=bool(spec.sleep),
    )
    rendered.add(
        service(site, namespace, COMPONENT,
                [ServicePort("http", SERVICE_PORT), ServicePort("metrics", config.METRICS_PORT)],
                annotations=sticky_cookie_annotations(name)),
        deployment(workload, replicas),
        pod_disruption_budget(site, namespace, COMPONENT, replicas),
    )
    middlewares = [product_forward_middleware(site, namespace, COMPONENT)]
    if context.traefik_middlewares:
        rendered.add(*middlewares)
    if spec.url:
        rendered.add(ingress(site, namespace, COMPONENT, spec.url, ingress_class=spec.ingress_class,
                             annotations=ingress_annotations(namespace, middlewares, spec.ingress_annotations)))
    return rendered
