"""Jobs as the Posit Job Launcher passes them to its Kubernetes templates (`{"Job": {...}}`), and the session
settings a product can add, for tests/products/test_launcher_templates_exec.py.

The job carries the fields both teamop's and the reference's templates read. The launcher always sends the
lists (`args`, `environment`, `volumes`, `placementConstraints`, ...), empty or not: the reference's template
takes their length. Resource limit values are strings (memory in megabytes); `volumes` and `volumeMounts` are
already Kubernetes objects; an init container has `command` (a shell command) or `exe`, `args`, `environment`
and `mounts`; a `config` entry named `secret` is `<secret>:<key>:<variable>`; an exposed port with a
`publishedPort` is published on the node, the others go into the job's Service.
"""

from __future__ import annotations

import copy
from typing import Any

SESSION_IMAGE = "ghcr.io/rstudio/r-session-complete:ubuntu2204-2025.05.0"


def launcher_job(**fields: Any) -> dict[str, Any]:
    """An R session job of user alice (uid/gid 1000) exposing port 8787 through its Service, with `fields`
    replaced."""
    job: dict[str, Any] = {
        "id": "k7f3q9",
        "name": "RStudio Session",
        "user": "alice",
        "generateName": "alice-rstudio-session-",
        "serviceName": "alice-rstudio-session-k7f3q9",
        "instanceId": "launcher-1",
        "host": "",
        "exe": "/usr/lib/rstudio-server/bin/rsession-run",
        "command": "",
        "args": ["--session-port", "8787"],
        "stdin": "",
        "workingDirectory": "",
        "environment": [{"name": "USER", "value": "alice"}, {"name": "HOME", "value": "/home/alice"}],
        "config": [],
        "container": {"image": SESSION_IMAGE, "runAsUserId": 1000, "runAsGroupId": 1000},
        "exposedPorts": [{"targetPort": 8787, "protocol": "TCP"}],
        "servicePortsJson": '{"ports":[8787]}',
        "resourceLimits": [],
        "placementConstraints": [],
        "tags": ["rstudio-r-session"],
        "metadata": {},
        "volumes": [],
        "volumeMounts": [],
        "initContainers": [],
        "shareProcessNamespace": False,
    }
    job.update(copy.deepcopy(fields))
    return {"Job": job}


JOBS: dict[str, dict[str, Any]] = {
    "plain": launcher_job(),
    "shell-command": launcher_job(
        exe="",
        command="/opt/rstudio-connect/ext/run-app.sh",
        args=["--app", "7"],
        stdin="app bundle follows",
        workingDirectory="/home/alice",
        config=[{"name": "secret", "value": "app-credentials:token:API_TOKEN"}],
        container={"image": SESSION_IMAGE, "runAsUserId": 1000, "runAsGroupId": 1000,
                   "supplementalGroupIds": [2000, 3000]},
    ),
    "nvidia-gpu": launcher_job(resourceLimits=[
        {"type": "cpuCount", "value": "2"},
        {"type": "CPU Request", "value": "0.5"},
        {"type": "memory", "value": "4096"},
        {"type": "Memory Request", "value": "2048"},
        {"type": "NVIDIA GPUs", "value": "1"},
        {"type": "AMD GPUs", "value": "0"},
    ]),
    "amd-gpu": launcher_job(resourceLimits=[
        {"type": "cpuCount", "value": "1"},
        {"type": "memory", "value": "512"},
        {"type": "NVIDIA GPUs", "value": "0"},
        {"type": "AMD GPUs", "value": "2"},
    ]),
    "volumes": launcher_job(
        volumes=[
            {"name": "projects", "nfs": {"server": "nfs.example.test", "path": "/export/projects"}},
            {"name": "scratch", "emptyDir": {"sizeLimit": "1Gi"}},
        ],
        volumeMounts=[
            {"name": "projects", "mountPath": "/projects", "readOnly": True},
            {"name": "scratch", "mountPath": "/scratch"},
        ],
    ),
    "placement": launcher_job(
        host="node-7",
        placementConstraints=[
            {"name": "node.kubernetes.io/instance-type", "value": "m5.xlarge"},
            {"name": "pool", "value": "sessions"},
        ],
    ),
    "init-containers": launcher_job(
        volumes=[{"name": "work", "emptyDir": {}}],
        volumeMounts=[{"name": "work", "mountPath": "/work"}],
        initContainers=[
            {"name": "fetch", "image": "busybox:1.36", "command": "echo", "args": ["ready"],
             "environment": [{"name": "STAGE", "value": "fetch"}],
             "mounts": [{"name": "work", "mountPath": "/work"}]},
            {"name": "check", "image": "busybox:1.36", "exe": "/bin/true", "args": ["--quiet"]},
        ],
        metadata={"pod": {"initContainers": [{"name": "from-metadata", "image": "busybox:1.36"}]}},
    ),
    "service-ports": launcher_job(exposedPorts=[
        {"targetPort": 8787, "protocol": "TCP"},
        {"targetPort": 5353, "protocol": "UDP"},
        {"targetPort": 9000, "publishedPort": 30900, "protocol": "TCP"},
    ]),
    "large-ids": launcher_job(container={"image": SESSION_IMAGE, "runAsUserId": 1587401234,
                                         "runAsGroupId": 1587400513, "supplementalGroupIds": [1587400514]}),
    "user-metadata": launcher_job(
        tags=["rstudio-r-session", "project:analysis"],
        metadata={
            "job": {"labels": {"team": "data"}, "annotations": {"example.test/cost": "42"}},
            "pod": {"labels": {"team": "data"}, "annotations": {"example.test/note": "from the user"}},
            "service": {"labels": {"team": "data"}, "annotations": {"example.test/exposure": "internal"}},
        },
    ),
}

# spec.sessionConfig of a product with every session setting teamop's model has: what the product adds to
# every session Job, pod and Service.
SESSION_CONFIG: dict[str, Any] = {
    "job": {"labels": {"cost-center": "research"}, "annotations": {"example.test/owner": "data-science"}},
    "service": {"labels": {"exposure": "internal"}, "annotations": {"example.test/lb": "internal"},
                "type": "ClusterIP"},
    "pod": {
        "labels": {"cost-center": "research"},
        "annotations": {"example.test/scrape": "false"},
        "env": [{"name": "PIP_INDEX_URL", "value": "https://pypi.example.test/simple"}],
        "volumes": [{"name": "datasets", "persistentVolumeClaim": {"claimName": "datasets", "readOnly": True}}],
        "volumeMounts": [{"name": "datasets", "mountPath": "/mnt/datasets", "readOnly": True}],
        "imagePullPolicy": "Always",
        "initContainers": [{"name": "warm-cache", "image": "busybox:1.36", "command": ["true"]}],
        "extraContainers": [{"name": "proxy", "image": "ghcr.io/example/proxy:1.0"}],
        "containerSecurityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
        "defaultSecurityContext": {"runAsNonRoot": True},
        "securityContext": {"fsGroup": 1000, "seccompProfile": {"type": "RuntimeDefault"}},
        "tolerations": [
            {"key": "sessions", "operator": "Equal", "value": "yes", "effect": "NoSchedule"},
            {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"},
        ],
        "affinity": {"nodeAffinity": {"preferredDuringSchedulingIgnoredDuringExecution": [
            {"weight": 1, "preference": {"matchExpressions": [
                {"key": "pool", "operator": "In", "values": ["sessions"]},
            ]}},
        ]}},
        "nodeSelector": {"kubernetes.io/os": "linux"},
    },
}
