"""The keys of each Workbench configuration file, in the order they are written.

Key names are Workbench's own (Posit Workbench admin guide); the order is the reference operator's, so that a
file rendered by either operator is the same text.
"""

from __future__ import annotations

from teamop.products.workbench.ini import Key, ints, strs

RSERVER: tuple[Key, ...] = (
    *ints("load-balancing-enabled"),
    *strs("server-shared-storage-path"),
    *ints("server-health-check-enabled", "auth-pam-sessions-enabled", "admin-enabled"),
    *strs("admin-group", "admin-superuser-group"),
    *ints("www-port", "server-project-sharing"),
    *strs("launcher-address"),
    *ints("launcher-port", "launcher-sessions-enabled"),
    *strs("launcher-sessions-callback-address"),
    *ints("auth-openid"),
    *strs("auth-openid-issuer", "auth-openid-username-claim"),
    Key("auth-openid-scopes", "list", separator=" "),
    *ints("auth-saml"),
    *strs("auth-saml-metadata-url", "auth-saml-sp-attribute-username", "www-frame-origin"),
    *ints("user-provisioning-enabled", "user-provisioning-register-on-first-login"),
    *strs("user-homedir-path", "secure-cookie-key-file"),
    *ints(
        "metrics-enabled",
        "metrics-port",
        "www-thread-pool-size",
        "launcher-sessions-proxy-timeout-seconds",
        "launcher-sessions-auto-update",
    ),
    *strs("launcher-sessions-init-container-image-name", "launcher-sessions-init-container-image-tag"),
    *ints(
        "databricks-enabled",
        "workbench-api-enabled",
        "workbench-api-admin-enabled",
        "workbench-api-super-admin-enabled",
        "force-admin-ui-enabled",
    ),
)

LAUNCHER_SERVER: tuple[Key, ...] = (
    *strs("address", "port", "server-user", "admin-group"),
    *ints("authorization-enabled", "thread-pool-size", "unprivileged"),
    *strs("secure-cookie-key-file"),
)
LAUNCHER_CLUSTER: tuple[Key, ...] = strs("name", "type")

LAUNCHER_KUBERNETES: tuple[Key, ...] = (*strs("kubernetes-namespace"), *ints("use-templating", "job-expiry-hours"))
LAUNCHER_LOCAL: tuple[Key, ...] = ints("unprivileged")

LOGGING_SECTION: tuple[Key, ...] = strs("log-level", "logger-type", "log-message-format")

JUPYTER: tuple[Key, ...] = (
    *ints("notebooks-enabled", "labs-enabled"),
    *strs("jupyter-exe", "lab-version", "notebook-version"),
    *ints("session-cull-minutes", "session-shutdown-minutes"),
    *strs("default-session-cluster", "default-session-container-image"),
)

VSCODE: tuple[Key, ...] = (*ints("enabled"), *strs("exe", "args"), *ints("session-timeout-kill-hours"))

RESOURCE_PROFILE: tuple[Key, ...] = strs(
    "name", "cpus", "cpus-request", "mem-mb", "mem-mb-request", "nvidia-gpus", "amd-gpus", "placement-constraints"
)

KUBERNETES_PROFILE: tuple[Key, ...] = (
    Key("container-images", "list"),
    *strs("default-container-image"),
    *ints("allow-unknown-images"),
    Key("placement-constraints", "list"),
    *strs(
        "default-cpus",
        "default-cpus-request",
        "default-mem-mb",
        "default-mem-mb-request",
        "default-nvidia-gpus",
        "max-cpus",
        "max-cpus-request",
        "max-mem-mb",
        "max-mem-mb-request",
        "max-nvidia-gpus",
        "cpu-request-ratio",
        "memory-request-ratio",
    ),
    Key("resource-profiles", "list"),
    *ints("allow-custom-resources"),
)

RSESSION: tuple[Key, ...] = (
    *strs("default-rsconnect-server"),
    *ints("copilot-enabled", "managed-credentials-in-jobs-enabled"),
    *strs("session-first-project-template-path", "session-save-action-default"),
)
REPOS: tuple[Key, ...] = strs("RSPM", "CRAN")
WORKBENCH_NSS: tuple[Key, ...] = strs("server-address")
POSITRON: tuple[Key, ...] = (
    *ints("enabled"),
    *strs("exe", "args", "default-session-container-image"),
    Key("session-container-images", "list"),
    *strs("positron-session-path"),
    *ints("session-no-profile"),
    *strs("user-data-dir"),
    *ints("allow-file-downloads", "allow-file-uploads", "session-timeout-kill-hours"),
)

DATABASE: tuple[Key, ...] = strs("provider", "database", "port", "host", "username", "password")
OPENID_CLIENT_SECRET: tuple[Key, ...] = strs("client-id", "client-secret")
DATABRICKS_WORKSPACE: tuple[Key, ...] = strs("name", "url", "client-id", "client-secret")

SUPERVISORD_PROGRAM: tuple[Key, ...] = (
    *strs("user", "command"),
    Key("autorestart", "bool"),
    *ints("numprocs"),
    *strs("stdout_logfile"),
    *ints("stdout_logfile_maxbytes"),
    *strs("stderr_logfile"),
    *ints("stderr_logfile_maxbytes"),
    *strs("environment"),
)
