"""The Chronicle agent sidecar that Connect and Workbench pods carry when Chronicle is enabled and its agent
image is set (COMPAT.md "What is enabled"); the controller then passes a `ChronicleAgent` in the context.

Interface (stable):

- `chronicle_agent_container(agent, product, api_key=None, volume_mounts=(), image_pull_policy=None)` — the
  container: the agent image, `CHRONICLE_SERVER_ADDRESS` = the Chronicle Service's URL, and — when the product
  spec enables `chronicleSidecarProductApiKeyEnabled` — the product's API key (`pub-chronicle-api-key` for
  Connect, `dev-chronicle-api-key` for Workbench) as `CHRONICLE_<PRODUCT>_APIKEY` from its Secret (`api_key`
  wins over `agent.api_key`). Small resources. `volume_mounts` lets Workbench share its audit-log directory.
- `API_KEY_SECRET_KEYS` — product → the site-secret key of its agent API key.

The agent reads its settings from `CHRONICLE_<SECTION>_<KEY>` environment variables (Posit's agent docs); it
finds the product on localhost at the product's default ports.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from teamop.products.context import ChronicleAgent, SecretKeyRef
from teamop.products.workload import env_from_secret, env_value

AGENT_CONTAINER_NAME = "chronicle-agent"
AgentProduct = Literal["connect", "workbench"]

API_KEY_SECRET_KEYS: dict[str, str] = {
    "connect": "pub-chronicle-api-key",
    "workbench": "dev-chronicle-api-key",
}
_API_KEY_ENV: dict[str, str] = {
    "connect": "CHRONICLE_CONNECT_APIKEY",
    "workbench": "CHRONICLE_WORKBENCH_APIKEY",
}

AGENT_RESOURCES: dict[str, Any] = {
    "requests": {"cpu": "50m", "memory": "64Mi"},
    "limits": {"cpu": "500m", "memory": "256Mi"},
}


def chronicle_agent_container(
    agent: ChronicleAgent,
    product: AgentProduct,
    *,
    api_key: SecretKeyRef | None = None,
    volume_mounts: Sequence[Mapping[str, Any]] = (),
    image_pull_policy: str | None = None,
) -> dict[str, Any]:
    env = [env_value("CHRONICLE_SERVER_ADDRESS", agent.server_url)]
    key = api_key or agent.api_key
    if key is not None:
        env.append(env_from_secret(_API_KEY_ENV[product], key))
    container: dict[str, Any] = {
        "name": AGENT_CONTAINER_NAME,
        "image": agent.image,
        "env": env,
        "resources": {kind: dict(values) for kind, values in AGENT_RESOURCES.items()},
    }
    if image_pull_policy:
        container["imagePullPolicy"] = image_pull_policy
    if volume_mounts:
        container["volumeMounts"] = [dict(mount) for mount in volume_mounts]
    return container
