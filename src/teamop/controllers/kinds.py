"""The kinds the controllers read and write."""

from __future__ import annotations

from teamop.runtime.kinds import GVK

GROUP = "core.posit.team"
VERSION = "v1beta1"

SITE = GVK(GROUP, VERSION, "Site")
CONNECT = GVK(GROUP, VERSION, "Connect")
WORKBENCH = GVK(GROUP, VERSION, "Workbench")
PACKAGE_MANAGER = GVK(GROUP, VERSION, "PackageManager")
CHRONICLE = GVK(GROUP, VERSION, "Chronicle")
FLIGHTDECK = GVK(GROUP, VERSION, "Flightdeck")
POSTGRES_DATABASE = GVK(GROUP, VERSION, "PostgresDatabase")

SECRET = GVK("", "v1", "Secret")
CONFIG_MAP = GVK("", "v1", "ConfigMap")
SERVICE = GVK("", "v1", "Service")
SERVICE_ACCOUNT = GVK("", "v1", "ServiceAccount")
PERSISTENT_VOLUME_CLAIM = GVK("", "v1", "PersistentVolumeClaim")
PERSISTENT_VOLUME = GVK("", "v1", "PersistentVolume")
POD = GVK("", "v1", "Pod")
DEPLOYMENT = GVK("apps", "v1", "Deployment")
STATEFUL_SET = GVK("apps", "v1", "StatefulSet")
DAEMON_SET = GVK("apps", "v1", "DaemonSet")
JOB = GVK("batch", "v1", "Job")
INGRESS = GVK("networking.k8s.io", "v1", "Ingress")
NETWORK_POLICY = GVK("networking.k8s.io", "v1", "NetworkPolicy")
POD_DISRUPTION_BUDGET = GVK("policy", "v1", "PodDisruptionBudget")
ROLE = GVK("rbac.authorization.k8s.io", "v1", "Role")
ROLE_BINDING = GVK("rbac.authorization.k8s.io", "v1", "RoleBinding")
CRD = GVK("apiextensions.k8s.io", "v1", "CustomResourceDefinition")
KEYCLOAK = GVK("k8s.keycloak.org", "v2alpha1", "Keycloak")

FINALIZER = "posit-team.posit.co"
