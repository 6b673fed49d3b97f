"""Workbench's object names, ports and paths inside its pods (the reference operator's, see COMPAT.md)."""

from __future__ import annotations

from teamop.products.naming import child_name

COMPONENT = "workbench"
SESSION_COMPONENT = "workbench-session"
"""`posit.team/component` of session Jobs, pods and Services."""

HTTP_PORT = 8787
METRICS_PORT = 8989
SERVICE_PORT = 80
LAUNCHER_PORT = 5559

# Workbench reads its configuration from every `<dir>/rstudio/` of XDG_CONFIG_DIRS; each directory below is
# filled from one ConfigMap or Secret.
XDG_CONFIG_DIRS = "/mnt/config/rstudio:/mnt/config:/mnt/secure:/mnt/secure-config:/mnt/session"
CONFIG_DIR = "/mnt/config/rstudio/"
SECURE_DIR = "/mnt/secure/rstudio/"
SECURE_CONFIG_DIR = "/mnt/secure-config/rstudio/"
SESSION_CONFIG_DIR = "/mnt/session/rstudio/"
ETC_RSTUDIO = "/etc/rstudio"
SHARED_STORAGE_PATH = "/mnt/shared-storage"
HOME_PATH = "/home"
LICENSE_DIR = "/etc/rstudio-server"
LICENSE_FILE_PATH = "/etc/rstudio-server/license.lic"
LAUNCHER_TEMPLATE_DIR = "/var/lib/rstudio-launcher/Kubernetes"
SECURE_COOKIE_KEY_FILE = SECURE_DIR + "secure-cookie-key"


def server(site: str) -> str:
    """Deployment, Service, Ingress, server ServiceAccount, Role, RoleBinding, PDB, home PVC, main ConfigMap."""
    return child_name(site, COMPONENT)


def login_config_map(site: str) -> str:
    return child_name(site, COMPONENT, "login")


def session_config_map(site: str) -> str:
    return child_name(site, COMPONENT, "session")


def templates_config_map(site: str) -> str:
    return child_name(site, COMPONENT, "templates")


def supervisor_config_map(site: str) -> str:
    return child_name(site, COMPONENT, "supervisor")


def login_page_config_map(site: str) -> str:
    return child_name(site, COMPONENT, "auth-login-page-html")


def secret_config(site: str) -> str:
    """The Secret holding database.conf and the other files that may carry secrets."""
    return child_name(site, COMPONENT, "config")


def session_service_account(site: str) -> str:
    return child_name(site, COMPONENT, "session")


def shared_storage(site: str) -> str:
    return child_name(site, COMPONENT, "shared-storage")


def service_url(site: str, namespace: str) -> str:
    """How sessions reach the server: the Service's cluster DNS name."""
    return f"http://{server(site)}.{namespace}.svc.cluster.local:{SERVICE_PORT}"
