"""Site settings the reference's sample Site leaves unset: each gives the Workbench resource and the config files
the Go operator gives it (its `site_controller_workbench.go` writes the resource, its Workbench controller and
`workbench_config.go` the files). Where teamop deliberately does otherwise, the test says so and
`teamop.products.site.differences` lists it."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

import pytest
from workbench_cases import IMAGE, NAMESPACE, SITE, context_for

from teamop.api.v1beta1 import SiteSpec
from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products.site import DatabaseServer, SiteInputs, render_site
from teamop.products.workbench import render
from teamop.products.workbench.render import WorkbenchRendered

DOMAIN = "example.test"
DATABASE = DatabaseServer("postgres.example.test", 5432, "disable")
INI = "config.workbench-ini-config"
SESSION_INI = "config.workbench-session-ini-config"


def site(**workbench: Any) -> dict[str, Any]:
    return {"domain": DOMAIN, "workbench": {"image": IMAGE, **workbench}}


def experimental(**features: Any) -> dict[str, Any]:
    return site(experimentalFeatures=features)


def workbench_resource(site_spec: dict[str, Any]) -> dict[str, Any]:
    """The Workbench resource's spec, as the Site step writes it."""
    rendered = render_site(SITE, NAMESPACE, SiteSpec.model_validate(site_spec), SiteInputs(database=DATABASE))
    spec: dict[str, Any] = next(obj for obj in rendered.objects if obj["kind"] == "Workbench")["spec"]
    return spec


def at(spec: dict[str, Any], path: str) -> Any:
    """The value at a dotted path (file names keep their dots: `rserver.conf` is one step), or None."""
    value: Any = spec
    rest = path
    while rest:
        if not isinstance(value, dict):
            return None
        step = next((key for key in sorted(value, key=len, reverse=True)
                     if rest == key or rest.startswith(key + ".")), None)
        if step is None:
            return None
        value, rest = value[step], rest[len(step) + 1:]
    return value


def workbench_objects(site_spec: dict[str, Any], site_keys: Iterable[str] = ("dev-db-password",)) -> WorkbenchRendered:
    """What the Workbench controller renders from that resource, the site secret holding `site_keys`."""
    spec = WorkbenchSpec.model_validate(workbench_resource(site_spec))
    return render(spec, context_for(spec, site_keys=site_keys))


def config_file(site_spec: dict[str, Any], name: str, config_map: str = f"{SITE}-workbench") -> str:
    return workbench_objects(site_spec).files[f"{config_map}/{name}"]


def settings(text: str) -> dict[str, str]:
    """`key=value` lines; keys of a `[section]` as `[section] key`."""
    found: dict[str, str] = {}
    section = ""
    for line in text.splitlines():
        if line.startswith("["):
            section = line.strip("[]")
        elif "=" in line:
            key, _, value = line.partition("=")
            found[f"[{section}] {key}" if section else key] = value
    return found


def test_resource_profiles_pass_their_placement_constraints_to_the_launcher_profile() -> None:
    gpu_site = experimental(resourceProfiles={
        "default": {"name": "Small", "cpus": "1", "mem-mb": "2000"},
        "gpu": {"name": "GPU", "cpus": "8", "mem-mb": "32000", "nvidia-gpus": "1",
                "placement-constraints": "pool:gpu, accelerator=nvidia"},
        "big": {"name": "Big", "cpus": "8", "mem-mb": "64000", "placement-constraints": "pool:gpu"},
    })
    profiles = settings(config_file(gpu_site, "launcher.kubernetes.profiles.conf"))
    assert profiles["[*] resource-profiles"] == "default,gpu,big"
    assert profiles["[*] placement-constraints"] == "pool:gpu,accelerator=nvidia"
    resources = settings(config_file(gpu_site, "launcher.kubernetes.resources.conf"))
    assert resources["[gpu] placement-constraints"] == "pool:gpu, accelerator=nvidia"
    assert resources["[gpu] nvidia-gpus"] == "1"


def test_a_placement_constraint_that_is_not_key_value_is_left_out_with_a_warning() -> None:
    objects = workbench_objects(experimental(resourceProfiles={
        "default": {"name": "Small", "cpus": "1", "mem-mb": "2000", "placement-constraints": "pool:gpu,gpu"},
    }))
    assert settings(objects.files[f"{SITE}-workbench/launcher.kubernetes.profiles.conf"])[
        "[*] placement-constraints"] == "pool:gpu"
    assert objects.warnings == ["resource profile 'default': placement constraint 'gpu' is not key:value; left out"]


def test_zero_replicas_means_one_as_in_the_reference() -> None:
    assert workbench_resource(site(replicas=0))["replicas"] == 1
    assert workbench_resource(site(replicas=3))["replicas"] == 3


@pytest.mark.parametrize("log_format", ["JSON", "json"])
def test_debug_logs_at_debug_level_and_log_format_json_writes_json(log_format: str) -> None:
    spec = {**site(), "debug": True, "logFormat": log_format}
    assert at(workbench_resource(spec), f"{INI}.logging.conf.*") == {
        "log-level": "debug", "logger-type": "stderr", "log-message-format": "json"}
    assert config_file(spec, "logging.conf") == "\n[*]\nlog-level=debug\nlogger-type=stderr\nlog-message-format=json\n"


def test_ide_user_settings_are_json_spelled_as_the_reference_spells_it() -> None:
    settings_site = site(vsCodeUserSettings={"editor.fontSize": 14.0, "title": "<Team> & “R”"},
                         positronConfig={"userSettings": {"files.autoSave": "afterDelay"}})
    vscode = '{"editor.fontSize":14,"title":"\\u003cTeam\\u003e \\u0026 “R”"}\n'
    positron = '{"files.autoSave":"afterDelay"}\n'
    for config_map in (f"{SITE}-workbench", f"{SITE}-workbench-session"):
        assert config_file(settings_site, "vscode-user-settings.json", config_map) == vscode
        assert config_file(settings_site, "positron-user-settings.json", config_map) == positron


def session_data(objects: WorkbenchRendered) -> dict[str, Any]:
    """The session data document of the launcher templates (what the Job template reads)."""
    text = objects.files[f"{SITE}-workbench-templates/rstudio-library-templates-data.tpl"]
    data: dict[str, Any] = json.loads(text.splitlines()[1])
    return data


def test_admin_groups_and_superuser_groups_are_joined_with_commas() -> None:
    groups_site = site(adminGroups=["wb-admins", "platform"], adminSuperuserGroups=["root-admins", "platform"])
    assert at(workbench_resource(groups_site), f"{INI}.rserver.conf.admin-group") == "wb-admins,platform"
    rserver = settings(config_file(groups_site, "rserver.conf"))
    assert (rserver["admin-group"], rserver["admin-superuser-group"]) == ("wb-admins,platform", "root-admins,platform")


def test_creating_users_automatically_registers_them_on_first_login() -> None:
    rserver = settings(config_file(site(createUsersAutomatically=True), "rserver.conf"))
    assert (rserver["user-provisioning-enabled"], rserver["user-provisioning-register-on-first-login"]) == ("1", "1")
    assert settings(config_file(site(), "rserver.conf"))["user-provisioning-register-on-first-login"] == "0"


def test_oidc_sign_in_uses_the_issuer_username_claim_scopes_and_client_id() -> None:
    auth = {"type": "oidc", "clientId": "workbench", "issuer": "https://idp.example.test/realms/posit",
            "usernameClaim": "preferred_username", "scopes": ["openid", "profile", "email"]}
    oidc_site = site(auth=auth)
    assert workbench_resource(oidc_site)["auth"] == auth
    objects = workbench_objects(oidc_site, site_keys=("dev-db-password", "dev-client-secret"))
    rserver = settings(objects.files[f"{SITE}-workbench/rserver.conf"])
    assert {key: rserver[key] for key in rserver if key.startswith("auth-")} == {
        "auth-pam-sessions-enabled": "1",
        "auth-openid": "1",
        "auth-openid-issuer": "https://idp.example.test/realms/posit",
        "auth-openid-username-claim": "preferred_username",
        "auth-openid-scopes": "openid profile email",
        "auth-saml": "0",
    }
    client = objects.files[f"{SITE}-workbench-config/openid-client-secret"].splitlines()
    assert client[0] == "client-id=workbench"
    assert client[1].startswith("client-secret=")


def test_saml_sign_in_takes_the_user_name_from_the_username_claim() -> None:
    auth = {"type": "saml", "samlMetadataUrl": "https://idp.example.test/saml/metadata", "usernameClaim": "uid"}
    rserver = settings(config_file(site(auth=auth), "rserver.conf"))
    assert {key: rserver[key] for key in rserver if key.startswith("auth-")} == {
        "auth-pam-sessions-enabled": "1",
        "auth-openid": "0",
        "auth-saml": "1",
        "auth-saml-metadata-url": "https://idp.example.test/saml/metadata",
        "auth-saml-sp-attribute-username": "uid",
    }


def test_saml_username_attribute_names_the_user_name_attribute_a_teamop_addition() -> None:
    auth = {"type": "saml", "samlMetadataUrl": "https://idp.example.test/saml/metadata",
            "usernameClaim": "uid", "samlUsernameAttribute": "eduPersonPrincipalName"}
    rserver = settings(config_file(site(auth=auth), "rserver.conf"))
    assert rserver["auth-saml-sp-attribute-username"] == "eduPersonPrincipalName"


def test_session_tolerations_apply_to_sessions_only_and_the_node_selector_to_server_and_sessions() -> None:
    server_toleration = {"key": "workbench", "operator": "Exists", "effect": "NoSchedule"}
    session_toleration = {"key": "sessions", "operator": "Equal", "value": "yes", "effect": "NoSchedule"}
    placed_site = site(tolerations=[server_toleration], sessionTolerations=[session_toleration],
                       nodeSelector={"pool": "workbench"})
    spec = workbench_resource(placed_site)
    assert (spec["tolerations"], spec["nodeSelector"]) == ([server_toleration], {"pool": "workbench"})
    assert at(spec, "sessionConfig.pod.tolerations") == [session_toleration]
    assert at(spec, "sessionConfig.pod.nodeSelector") == {"pool": "workbench"}
    objects = workbench_objects(placed_site)
    pod = session_data(objects)["pod"]
    assert (pod["tolerations"], pod["nodeSelector"]) == ([session_toleration], {"pool": "workbench"})
    server = objects.get("Deployment", f"{SITE}-workbench")["spec"]["template"]["spec"]
    assert (server["tolerations"], server["nodeSelector"]) == ([server_toleration], {"pool": "workbench"})


def test_experimental_features_save_no_workspace_unless_told_otherwise() -> None:
    action = f"{SESSION_INI}.rsession.conf.session-save-action-default"
    assert at(workbench_resource(site()), action) is None
    assert at(workbench_resource(experimental()), action) == "no"
    assert at(workbench_resource(experimental(sessionSaveActionDefault="ask")), action) == "ask"
    assert settings(config_file(experimental(), "rsession.conf", f"{SITE}-workbench-session"))[
        "session-save-action-default"] == "no"


def test_web_threads_proxy_timeout_and_vscode_extensions_directory() -> None:
    tuned = experimental(wwwThreadPoolSize=32, launcherSessionsProxyTimeoutSecs=90,
                         vsCodeExtensionsDir="/mnt/shared/vscode-extensions")
    rserver = settings(config_file(tuned, "rserver.conf"))
    assert (rserver["www-thread-pool-size"], rserver["launcher-sessions-proxy-timeout-seconds"]) == ("32", "90")
    assert settings(config_file(tuned, "vscode.conf"))["args"] == (
        "--host=0.0.0.0 --extensions-dir=/mnt/shared/vscode-extensions")


def test_vscode_path_and_session_timeout() -> None:
    vscode_site = site(vsCodeConfig={"sessionTimeoutKillHours": 4},
                       experimentalFeatures={"vsCodePath": "/opt/code-server/bin/code-server"})
    assert config_file(vscode_site, "vscode.conf") == (
        "enabled=1\nexe=/opt/code-server/bin/code-server\nargs=--host=0.0.0.0\nsession-timeout-kill-hours=4\n")
    # An empty vsCodeConfig gets its API default of one hour.
    assert settings(config_file(site(vsCodeConfig={}), "vscode.conf"))["session-timeout-kill-hours"] == "1"


def test_managed_credentials_in_jobs_and_the_first_project_template() -> None:
    rsession = settings(config_file(
        experimental(enableManagedCredentialJobs=True, firstProjectTemplatePath="/etc/rstudio/first-project"),
        "rsession.conf", f"{SITE}-workbench-session"))
    assert rsession["managed-credentials-in-jobs-enabled"] == "1"
    assert rsession["session-first-project-template-path"] == "/etc/rstudio/first-project"


def test_non_root_runs_the_launcher_unprivileged_under_supervisord() -> None:
    non_root = experimental(nonRoot=True)
    assert workbench_resource(non_root)["nonRoot"] is True
    objects = workbench_objects(non_root)
    launcher = settings(objects.files[f"{SITE}-workbench/launcher.conf"])
    cookie = "/mnt/secure/rstudio/secure-cookie-key"
    assert (launcher["[server] unprivileged"], launcher["[server] secure-cookie-key-file"]) == ("1", cookie)
    assert settings(objects.files[f"{SITE}-workbench/rserver.conf"])["secure-cookie-key-file"] == cookie
    assert objects.files[f"{SITE}-workbench-supervisor/launcher.conf"] == (
        "[program:rstudio-launcher]\nuser=root\ncommand=/usr/lib/rstudio-server/bin/rstudio-launcher\n"
        "autorestart=false\nnumprocs=1\nstdout_logfile=/dev/stdout\nstdout_logfile_maxbytes=0\n"
        "stderr_logfile=/dev/stderr\nstderr_logfile_maxbytes=0\n"
        'environment=XDG_CONFIG_DIRS="/mnt/config/rstudio:/mnt/config:/mnt/secure:/mnt/secure-config:/mnt/session"\n')


def test_session_service_account_environment_and_image_pull_policy() -> None:
    env = [{"name": "PIP_INDEX_URL", "value": "https://packages.example.test/pypi/latest/simple"}]
    sessions = experimental(sessionServiceAccountName="team-sessions", sessionEnvVars=env,
                            sessionImagePullPolicy="Always")
    pod = at(workbench_resource(sessions), "sessionConfig.pod")
    assert (pod["serviceAccountName"], pod["env"], pod["imagePullPolicy"]) == ("team-sessions", env, "Always")
    data = session_data(workbench_objects(sessions))["pod"]
    assert (data["serviceAccountName"], data["imagePullPolicy"]) == ("team-sessions", "Always")
    assert env[0] in data["env"]


def test_privileged_sessions_run_privileged_containers() -> None:
    privileged = experimental(privilegedSessions=True)
    assert at(workbench_resource(privileged), "sessionConfig.pod.containerSecurityContext") == {"privileged": True}
    assert session_data(workbench_objects(privileged))["pod"]["containerSecurityContext"] == {"privileged": True}


def test_launcher_env_path_sets_the_sessions_path() -> None:
    path_site = experimental(launcherEnvPath="/opt/python/3.12/bin:/usr/local/bin:/usr/bin:/bin")
    assert at(workbench_resource(path_site), "config.workbench-dcf-config.launcher-env") == {
        "JobType": "session", "Environment": {"PATH": "/opt/python/3.12/bin:/usr/local/bin:/usr/bin:/bin"}}
    assert config_file(path_site, "launcher-env") == (
        "\nJobType: session\nEnvironment: PATH=/opt/python/3.12/bin:/usr/local/bin:/usr/bin:/bin\n")


def test_dsn_secret_chronicle_api_key_and_forced_admin_ui() -> None:
    flagged = experimental(dsnSecret="odbc-ini", chronicleSidecarProductApiKeyEnabled=True, forceAdminUiEnabled=True)
    spec = workbench_resource(flagged)
    assert (spec["dsnSecret"], spec["chronicleSidecarProductApiKeyEnabled"]) == ("odbc-ini", True)
    assert settings(config_file(flagged, "rserver.conf"))["force-admin-ui-enabled"] == "1"


def test_databricks_workspaces_go_to_the_secret_config_and_enable_the_pane() -> None:
    workspace = {"name": "Databricks", "url": "https://dbc-1234.cloud.databricks.com", "clientId": "aws-client",
                 "tenantId": "unused-by-workbench"}
    databricks_site = site(databricks={"aws": workspace})
    assert at(workbench_resource(databricks_site), "secretConfig.workbench-secret-ini-config.databricks.conf") == {
        "aws": {"name": "Databricks", "url": "https://dbc-1234.cloud.databricks.com", "client-id": "aws-client"}}
    objects = workbench_objects(databricks_site)
    assert settings(objects.files[f"{SITE}-workbench/rserver.conf"])["databricks-enabled"] == "1"
    assert objects.files[f"{SITE}-workbench-config/databricks.conf"] == (
        "\n[aws]\nname=Databricks\nurl=https://dbc-1234.cloud.databricks.com\nclient-id=aws-client\n")


def test_databricks_forced_on_shows_the_pane_without_workspaces() -> None:
    forced = experimental(databricksForceEnabled=True)
    assert settings(config_file(forced, "rserver.conf"))["databricks-enabled"] == "1"
    assert f"{SITE}-workbench-config/databricks.conf" not in workbench_objects(forced).files


def test_jupyter_config_replaces_the_default_one() -> None:
    jupyter_site = site(jupyterConfig={"labs-enabled": 1, "notebooks-enabled": 0, "session-cull-minutes": 60})
    assert config_file(jupyter_site, "jupyter.conf") == (
        "notebooks-enabled=0\nlabs-enabled=1\nlab-version=auto\nnotebook-version=auto\n"
        "session-cull-minutes=60\nsession-shutdown-minutes=5\n")


def test_login_page_html_reaches_the_workbench_resource() -> None:
    assert workbench_resource(site(authLoginPageHtml="<p>Welcome</p>"))["authLoginPageHtml"] == "<p>Welcome</p>"
    assert "authLoginPageHtml" not in workbench_resource(site(authLoginPageHtml=""))


def test_positron_settings_and_extensions() -> None:
    positron_site = site(positronConfig={
        "enabled": 1, "exe": "/usr/lib/rstudio-server/bin/positron-server/bin/positron-server",
        "sessionContainerImages": ["ghcr.io/posit-dev/positron:a", "ghcr.io/posit-dev/positron:b"],
        "allowFileDownloads": 1, "sessionNoProfile": 0, "extensions": ["posit.shiny", "quarto.quarto"]})
    assert at(workbench_resource(positron_site), f"{SESSION_INI}.positron.conf") == {
        "enabled": 1, "exe": "/usr/lib/rstudio-server/bin/positron-server/bin/positron-server",
        "session-container-images": ["ghcr.io/posit-dev/positron:a", "ghcr.io/posit-dev/positron:b"],
        "allow-file-downloads": 1}
    assert config_file(positron_site, "positron.conf", f"{SITE}-workbench-session") == (
        "enabled=1\nexe=/usr/lib/rstudio-server/bin/positron-server/bin/positron-server\n"
        "session-container-images=ghcr.io/posit-dev/positron:a,ghcr.io/posit-dev/positron:b\n"
        "session-no-profile=0\nallow-file-downloads=1\nallow-file-uploads=0\nsession-timeout-kill-hours=0\n")
    assert config_file(positron_site, "positron.extensions.conf", f"{SITE}-workbench-session") == (
        "posit.shiny\nquarto.quarto\n")


def test_workbench_api_switches() -> None:
    api_site = site(apiSettings={"workbenchApiEnabled": 1, "workbenchApiAdminEnabled": 0})
    assert at(workbench_resource(api_site), f"{INI}.rserver.conf.workbench-api-admin-enabled") is None
    rserver = settings(config_file(api_site, "rserver.conf"))
    assert [rserver[f"workbench-api{kind}-enabled"] for kind in ("", "-admin", "-super-admin")] == ["1", "0", "0"]


def test_session_images_and_the_session_init_container() -> None:
    images_site = site(defaultSessionImage="ghcr.io/rstudio/r-session-complete:a",
                       extraSessionImages=["ghcr.io/rstudio/workbench-session:b"],
                       sessionInitContainerImageName="ghcr.io/rstudio/workbench-session-init",
                       sessionInitContainerImageTag="2025.05.0")
    profiles = settings(config_file(images_site, "launcher.kubernetes.profiles.conf"))
    assert profiles["[*] container-images"] == (
        "ghcr.io/rstudio/r-session-complete:a,ghcr.io/rstudio/workbench-session:b")
    assert profiles["[*] default-container-image"] == "ghcr.io/rstudio/r-session-complete:a"
    rserver = settings(config_file(images_site, "rserver.conf"))
    assert rserver["launcher-sessions-init-container-image-name"] == "ghcr.io/rstudio/workbench-session-init"
    assert rserver["launcher-sessions-init-container-image-tag"] == "2025.05.0"


def test_package_manager_url_is_the_sessions_cran_repository() -> None:
    url = "https://pm.example.test/cran/__linux__/noble/latest"
    pm_site = {**site(), "packageManagerUrl": url, "packageManager": {}}
    assert config_file(pm_site, "repos.conf", f"{SITE}-workbench-session") == f"CRAN={url}\n"


def test_the_sites_connect_is_the_default_publishing_server() -> None:
    connect_site = {**site(), "connect": {"domainPrefix": "rsc"}}
    assert settings(config_file(connect_site, "rsession.conf", f"{SITE}-workbench-session"))[
        "default-rsconnect-server"] == "https://rsc.example.test"


def test_snowflake_extra_environment_and_image_pull_policy() -> None:
    snowflake = {"accountId": "example-account", "clientId": "snowflake-client"}
    spec = workbench_resource(site(snowflake=snowflake, addEnv={"EXTRA": "1"}, imagePullPolicy="Always"))
    assert (spec["snowflake"], spec["addEnv"], spec["imagePullPolicy"]) == (snowflake, {"EXTRA": "1"}, "Always")
    assert at(spec, "sessionConfig.pod.imagePullPolicy") == "Always"


def test_the_chronicle_agent_image_goes_to_workbench_when_chronicle_is_enabled() -> None:
    chronicle = {"image": "ghcr.io/rstudio/chronicle:2024.11.0", "agentImage": "ghcr.io/rstudio/chronicle-agent:1"}
    assert workbench_resource({**site(), "chronicle": chronicle})["chronicleImage"] == chronicle["agentImage"]


# Deliberate differences (each listed in teamop.products.site.differences).


def test_without_connect_or_package_manager_sessions_get_no_publishing_server_or_repository() -> None:
    # The reference writes https://.example.test and https://.example.test/cran/__linux__/jammy/latest here.
    spec = workbench_resource(site())
    assert at(spec, f"{SESSION_INI}.rsession.conf.default-rsconnect-server") is None
    assert at(spec, f"{SESSION_INI}.repos.conf.CRAN") is None
    assert "default-rsconnect-server" not in settings(config_file(site(), "rsession.conf"))
    assert settings(config_file(site(), "repos.conf")) == {}


def test_sessions_pull_their_image_as_the_server_does_unless_told_otherwise() -> None:
    # The reference drops the sessions' pull policy as soon as experimentalFeatures is present.
    pulled = site(imagePullPolicy="Always", experimentalFeatures={"nonRoot": True})
    assert at(workbench_resource(pulled), "sessionConfig.pod.imagePullPolicy") == "Always"


def test_vscode_config_enabled_exe_and_args_are_written_when_set() -> None:
    # The reference always writes enabled=1 and its own args, and takes exe only from experimentalFeatures.
    vscode_site = site(vsCodeConfig={"enabled": 0, "exe": "/opt/code-server/bin/code-server", "args": "--verbose"})
    assert config_file(vscode_site, "vscode.conf") == (
        "enabled=0\nexe=/opt/code-server/bin/code-server\nargs=--verbose\nsession-timeout-kill-hours=1\n")


def test_no_chronicle_agent_image_when_chronicle_is_disabled() -> None:
    # COMPAT.md: the reference passes spec.chronicle.agentImage on whether or not Chronicle runs.
    chronicle = {"enabled": False, "agentImage": "ghcr.io/rstudio/chronicle-agent:1"}
    assert "chronicleImage" not in workbench_resource({**site(), "chronicle": chronicle})
