"""kubernetes-asyncio's configuration loaders (kubeconfig, in-cluster, exec credential plugins, token refresh)
without its generated API classes and models.

Importing anything of kubernetes-asyncio runs `kubernetes_asyncio/__init__.py`, which imports
`kubernetes_asyncio.client`, whose `__init__` imports every generated API class and model: ~58 MB resident and
~0.4 s that teamop, which sends its own requests and keeps objects as dicts, never uses. So before the first import,
the three packages whose `__init__` pulls them in are registered as *deferred*: their submodules import as usual
(the loaders, `Configuration`, `ApiClient`), and a package's own `__init__` runs only when an attribute that only
it defines is asked for (`kubernetes_asyncio.client.CoreV1Api`, `kubernetes_asyncio.watch`): code that uses the
generated API still works and pays for it then. When kubernetes-asyncio was imported before this module, nothing
is deferred. Import kubernetes-asyncio in teamop through this module only.
"""

from __future__ import annotations

import importlib.machinery
import importlib.util
import sys
from typing import Any

DEFERRED_PACKAGES = ("kubernetes_asyncio", "kubernetes_asyncio.client", "kubernetes_asyncio.client.models")
# Dunder attributes a package's __init__ defines that callers may read; any other dunder missing is just missing.
_DEFINED_DUNDERS = frozenset({"__all__", "__version__", "__project__"})


def _defer(name: str) -> None:
    """Put package `name` in sys.modules without running its `__init__` until an attribute it defines is needed."""
    if name in sys.modules:
        return
    parent_name, _, child = name.rpartition(".")
    parent = sys.modules[parent_name] if parent_name else None
    spec = importlib.machinery.PathFinder.find_spec(name, getattr(parent, "__path__", None))
    if spec is None or spec.loader is None:
        raise ImportError(f"cannot find {name}")
    module = importlib.util.module_from_spec(spec)
    loader = spec.loader
    loading = False

    def load_on_first_use(attribute: str) -> Any:
        nonlocal loading
        if loading or (attribute.startswith("__") and attribute not in _DEFINED_DUNDERS):
            raise AttributeError(f"module {name!r} has no attribute {attribute!r}")
        loading = True
        del module.__dict__["__getattr__"]
        loader.exec_module(module)
        return getattr(module, attribute)

    module.__dict__["__getattr__"] = load_on_first_use
    sys.modules[name] = module
    if parent is not None:
        setattr(parent, child, module)


def _import_configuration_parts() -> None:
    for name in DEFERRED_PACKAGES:
        _defer(name)
    client = sys.modules["kubernetes_asyncio.client"]
    # Submodules in dependency order, each before a `from kubernetes_asyncio.client import <it>` asks the
    # package for it (which would run the package's __init__).
    for submodule in ("exceptions", "configuration", "rest", "api_client"):
        importlib.import_module(f"kubernetes_asyncio.client.{submodule}")
    # What `kubernetes_asyncio.config` takes from the package.
    client.Configuration = client.configuration.Configuration  # type: ignore[attr-defined]
    client.ApiClient = client.api_client.ApiClient  # type: ignore[attr-defined]


if "kubernetes_asyncio" not in sys.modules:
    _import_configuration_parts()

from kubernetes_asyncio.client.api_client import ApiClient  # noqa: E402
from kubernetes_asyncio.client.configuration import Configuration  # noqa: E402
from kubernetes_asyncio.config import kube_config  # noqa: E402
from kubernetes_asyncio.config.config_exception import ConfigException  # noqa: E402
from kubernetes_asyncio.config.incluster_config import load_incluster_config  # noqa: E402


def generated_models_loaded() -> bool:
    """Whether kubernetes-asyncio's generated models have been imported (in this process)."""
    models = sys.modules.get("kubernetes_asyncio.client.models")
    if models is None:
        return False
    return "__getattr__" not in vars(models) or any(
        name.startswith("kubernetes_asyncio.client.models.") for name in sys.modules
    )


__all__ = [
    "ApiClient",
    "ConfigException",
    "Configuration",
    "generated_models_loaded",
    "kube_config",
    "load_incluster_config",
]
