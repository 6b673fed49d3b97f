"""Site settings the reference's sample Site does not exercise, from the Site to the product resource and on to
what the product reads: log format, debug, GPU limits, mail, database schemas, storage, session settings,
the repository URL, Flightdeck's image, and the Site's own values over the defaults."""

from __future__ import annotations

from typing import Any

from teamop.api.v1beta1 import Site, SiteSpec
from teamop.controllers.preview import plan_site
from teamop.controllers.registry import PRODUCT_KINDS
from teamop.controllers.render_inputs import DatabaseAddress, render_context
from teamop.products.context import SecretKeyRef
from teamop.products.site import DatabaseServer, SiteInputs, render_site
from teamop.testing.parity import ini_settings

DATABASE = DatabaseServer("db.example", 5432, "require")
LICENSE = {"type": "FILE", "existingSecretName": "license", "existingSecretKey": "lic"}


def site_spec(**fields: Any) -> SiteSpec:
    return SiteSpec.model_validate({"domain": "posit.example.com", "secret": {"type": "kubernetes",
                                                                           "vaultName": "orbit"}, **fields})


def resource(spec: SiteSpec, kind: str) -> dict[str, Any]:
    rendered = render_site("orbit", "team", spec, SiteInputs(database=DATABASE))
    spec_of: dict[str, Any] = next(o for o in rendered.objects if o["kind"] == kind)["spec"]
    return spec_of


def config_file(spec: SiteSpec, config_map: str, file: str) -> dict[str, Any]:
    """A product's config file as the Site's product resource makes its controller write it."""
    site = Site.model_validate({"metadata": {"name": "orbit"}, "spec": {
        "workloadSecret": {"type": "kubernetes", "vaultName": "orbit"}, **spec.to_dict()}})
    plan = plan_site(site, "team", database=DATABASE)
    body = next(p.body for p in plan.objects if p.body["kind"] == "ConfigMap" and p.body["metadata"]["name"]
                == config_map)
    return ini_settings(body["data"][file])


def test_json_log_format_switches_connect_and_chronicle_logs_to_json() -> None:
    for spelling in ("json", "JSON"):
        spec = site_spec(logFormat=spelling, connect={}, chronicle={})
        assert resource(spec, "Connect")["config"]["Logging"] == {
            "ServiceLog": "STDERR", "ServiceLogLevel": "INFO", "ServiceLogFormat": "JSON",
            "AccessLog": "STDERR", "AccessLogFormat": "JSON", "AuditLogFormat": "JSON"}
        assert resource(spec, "Chronicle")["config"]["Logging"]["ServiceLogFormat"] == "JSON"


def test_without_a_log_format_connect_and_chronicle_log_text() -> None:
    spec = site_spec(connect={}, chronicle={})
    logging = resource(spec, "Connect")["config"]["Logging"]
    assert (logging["ServiceLogFormat"], logging["AccessLogFormat"], logging["AuditLogFormat"]) == (
        "TEXT", "COMMON", "TEXT")
    assert resource(spec, "Chronicle")["config"]["Logging"]["ServiceLogFormat"] == "TEXT"


def test_debug_makes_package_manager_log_verbosely_and_chronicle_at_debug_level() -> None:
    spec = site_spec(debug=True, connect={"license": LICENSE}, packageManager={"license": LICENSE}, chronicle={})
    assert resource(spec, "Connect")["debug"] is True
    assert resource(spec, "PackageManager")["config"]["Debug"] == {"Log": "verbose"}
    assert resource(spec, "Chronicle")["config"]["Logging"]["ServiceLogLevel"] == "DEBUG"
    assert config_file(spec, "orbit-packagemanager", "rstudio-pm.gcfg")["[Debug] Log"] == "verbose"
    connect = config_file(spec, "orbit-connect", "rstudio-connect.gcfg")
    assert connect["[Server] ProxyHeaderLogging"] == "true"
    assert connect["[TableauIntegration] Logging"] == "true"


def test_without_debug_package_manager_has_an_empty_debug_section() -> None:
    spec = site_spec(packageManager={"license": LICENSE})
    assert resource(spec, "PackageManager")["config"]["Debug"] == {}
    settings = config_file(spec, "orbit-packagemanager", "rstudio-pm.gcfg")
    assert settings["[Debug]"] == "present"
    assert "[Debug] Log" not in settings


def test_gpu_settings_become_connect_scheduler_limits() -> None:
    spec = site_spec(connect={"gpuSettings": {"nvidiaGPULimit": 1, "maxNvidiaGPULimit": 2, "maxAMDGPULimit": 4}})
    assert resource(spec, "Connect")["config"]["Scheduler"] == {
        "MaxMemoryRequest": 8589934592, "MaxMemoryLimit": 8589934592, "MaxCPURequest": 4, "MaxCPULimit": 4,
        "NvidiaGPULimit": 1, "MaxNvidiaGPULimit": 2, "MaxAMDGPULimit": 4}


def test_a_mail_sender_turns_on_smtp_with_the_site_secret_smtp_settings() -> None:
    spec = site_spec(connect={"license": LICENSE, "experimentalFeatures": {
        "mailSender": "posit@example.com", "mailDisplayName": "Posit", "mailTarget": "team@example.com"}})
    connect_spec = resource(spec, "Connect")
    assert {key: connect_spec["config"]["Server"][key] for key in
            ("EmailProvider", "SenderEmail", "SenderEmailDisplayName", "EmailTo")} == {
        "EmailProvider": "SMTP", "SenderEmail": "posit@example.com", "SenderEmailDisplayName": "Posit",
        "EmailTo": "team@example.com"}

    kind = next(kind for kind in PRODUCT_KINDS if kind.component == "connect")
    model = kind.model.model_validate({"metadata": {"name": "orbit"}, "spec": connect_spec}).spec  # type: ignore[attr-defined]
    keys = ("pub-db-password", "pub-secret-key", "pub-smtp-host", "pub-smtp-port", "pub-smtp-user",
            "pub-smtp-password")
    context = render_context(kind, model, site="orbit", namespace="team",
                             secrets={key: SecretKeyRef("orbit", key) for key in keys},
                             database=DatabaseAddress("db.example", 5432), operator_image="teamop:test")
    rendered = kind.render(model, context)
    server = rendered.get("Deployment", "orbit-connect")["spec"]["template"]["spec"]["containers"][0]
    env = {entry["name"]: entry.get("valueFrom") for entry in server["env"]}
    assert {name: env.get(name) for name in ("CONNECT_SMTP_HOST", "CONNECT_SMTP_PORT", "CONNECT_SMTP_USER",
                                             "CONNECT_SMTP_PASSWORD")} == {
        f"CONNECT_SMTP_{part.upper()}": {"secretKeyRef": {"name": "orbit", "key": f"pub-smtp-{part}"}}
        for part in ("host", "port", "user", "password")}
    assert "EmailProvider = SMTP" in rendered.files["rstudio-connect.gcfg"]


def test_without_a_mail_sender_connect_sends_no_mail() -> None:
    spec = site_spec(connect={"experimentalFeatures": {"mailDisplayName": "Posit"}})
    server = resource(spec, "Connect")["config"]["Server"]
    assert "EmailProvider" not in server
    assert "SenderEmailDisplayName" not in server


def test_database_settings_rename_connects_schemas() -> None:
    spec = site_spec(connect={"license": LICENSE, "databaseSettings": {"schema": "rsc",
                                                                         "instrumentationSchema": "rsc_metrics"}})
    config = resource(spec, "Connect")["databaseConfig"]
    assert (config["schema"], config["instrumentationSchema"]) == ("rsc", "rsc_metrics")
    settings = config_file(spec, "orbit-connect", "rstudio-connect.gcfg")
    assert "options=-csearch_path=rsc&" in settings["[Postgres] URL"]
    assert "options=-csearch_path=rsc_metrics&" in settings["[Postgres] InstrumentationURL"]
    site = Site.model_validate({"metadata": {"name": "orbit"}, "spec": {
        "workloadSecret": {"type": "kubernetes", "vaultName": "orbit"}, **spec.to_dict()}})
    database = next(p.body for p in plan_site(site, "team", database=DATABASE).objects
                    if p.body["kind"] == "PostgresDatabase" and p.body["metadata"]["name"] == "orbit-connect")
    assert database["spec"]["schemas"] == ["rsc", "rsc_metrics"]


def test_one_schema_named_for_both_holds_connects_data_and_instrumentation() -> None:
    spec = site_spec(connect={"license": LICENSE, "databaseSettings": {"schema": "rsc",
                                                                         "instrumentationSchema": "rsc"}})
    settings = config_file(spec, "orbit-connect", "rstudio-connect.gcfg")
    assert "options=-csearch_path=rsc&" in settings["[Postgres] URL"]
    assert "options=-csearch_path=rsc&" in settings["[Postgres] InstrumentationURL"]


def test_without_an_s3_bucket_chronicle_stores_its_data_on_its_volume() -> None:
    spec = site_spec(chronicle={})
    config = resource(spec, "Chronicle")["config"]
    assert config["LocalStorage"] == {"Enabled": True, "Location": "/var/lib/posit-chronicle/data"}
    assert "S3Storage" not in config
    settings = config_file(spec, "orbit-chronicle", "posit-chronicle.gcfg")
    assert (settings["[LocalStorage] Enabled"], settings["[LocalStorage] Location"]) == (
        "true", "/var/lib/posit-chronicle/data")


def test_with_an_s3_bucket_chronicle_stores_its_data_under_the_site_prefix() -> None:
    config = resource(site_spec(chronicle={"s3Bucket": "chr-bucket"}), "Chronicle")["config"]
    assert config["S3Storage"] == {"Enabled": True, "Bucket": "chr-bucket", "Prefix": "orbit/chr-v0",
                                   "Region": "us-east-2"}
    assert "LocalStorage" not in config


def test_with_an_s3_bucket_package_manager_stores_packages_under_the_site_prefix() -> None:
    spec = site_spec(packageManager={"license": LICENSE, "s3Bucket": "ppm-bucket"})
    config = resource(spec, "PackageManager")["config"]
    assert config["Storage"] == {"Default": "S3"}
    assert config["S3Storage"] == {"Bucket": "ppm-bucket", "Prefix": "orbit/ppm-v0"}
    settings = config_file(spec, "orbit-packagemanager", "rstudio-pm.gcfg")
    assert (settings["[Storage] Default"], settings["[S3Storage] Prefix"]) == ("S3", "orbit/ppm-v0")


def test_the_sites_own_values_win_over_the_defaults() -> None:
    spec = site_spec(connect={"scheduleConcurrency": 5, "loggedInWarning": "Internal", "publicWarning": "Public"})
    config = resource(spec, "Connect")["config"]
    assert config["Applications"]["ScheduleConcurrency"] == 5
    assert (config["Server"]["LoggedInWarning"], config["Server"]["PublicWarning"]) == ("Internal", "Public")


def test_experimental_session_settings_reach_connects_session_pods() -> None:
    spec = site_spec(imagePullSecrets=["regcred"], connect={"imagePullPolicy": "IfNotPresent", "experimentalFeatures": {
        "sessionEnvVars": [{"name": "TEAM", "value": "data"}], "sessionImagePullPolicy": "Always",
        "sessionServiceAccountName": "content-runner"}})
    pod = resource(spec, "Connect")["sessionConfig"]["pod"]
    assert (pod["env"], pod["imagePullPolicy"], pod["serviceAccountName"], pod["imagePullSecrets"]) == (
        [{"name": "TEAM", "value": "data"}], "Always", "content-runner", [{"name": "regcred"}])


def test_without_experimental_session_settings_sessions_keep_connects_defaults() -> None:
    spec = site_spec(connect={"imagePullPolicy": "IfNotPresent", "experimentalFeatures": {"dsnSecret": "odbc"}})
    pod = resource(spec, "Connect")["sessionConfig"]["pod"]
    assert (pod["imagePullPolicy"], pod["serviceAccountName"]) == ("IfNotPresent", "orbit-connect-session")
    assert "env" not in pod


def test_package_manager_url_is_connects_repository_as_written() -> None:
    url = "https://packages.example.com/cran/__linux__/noble/latest"
    config = resource(site_spec(connect={}, packageManagerUrl=url), "Connect")["config"]
    assert config["RPackageRepositories"] == {"CRAN": {"Url": url}, "RSPM": {"Url": url}}


def test_without_a_package_manager_connect_keeps_its_own_repositories() -> None:
    assert "RPackageRepositories" not in resource(site_spec(connect={}), "Connect")["config"]


def test_a_flightdeck_tag_names_the_reference_image_pulled_always() -> None:
    flightdeck = resource(site_spec(flightdeck={"image": "v1.2.3"}), "Flightdeck")
    assert (flightdeck["image"], flightdeck["imagePullPolicy"]) == ("docker.io/posit/ptd-flightdeck:v1.2.3", "Always")


def test_without_a_flightdeck_image_teamops_own_image_keeps_the_default_pull_policy() -> None:
    flightdeck = resource(site_spec(), "Flightdeck")
    assert "image" not in flightdeck
    assert "imagePullPolicy" not in flightdeck
    assert flightdeck["featureEnabler"] == {"showConfig": False, "showAcademy": False}


def test_the_keycloak_service_account_has_no_iam_role_without_a_cluster_date() -> None:
    inputs = SiteInputs(database=DATABASE, keycloak_crd_installed=True,
                        keycloak_password=SecretKeyRef("orbit", "keycloak-db-password"))
    spec = site_spec(awsAccountId="123456789012", keycloak={"enabled": True})
    account = next(o for o in render_site("orbit", "team", spec, inputs).objects
                   if o["kind"] == "ServiceAccount" and o["metadata"]["name"] == "orbit-keycloak")
    assert "annotations" not in account["metadata"]


def test_zero_replicas_mean_one_as_the_go_operator_reads_them() -> None:
    spec = site_spec(connect={"replicas": 0}, packageManager={"replicas": 0}, flightdeck={"replicas": 0})
    assert [resource(spec, kind)["replicas"] for kind in ("Connect", "PackageManager", "Flightdeck")] == [1, 1, 1]
