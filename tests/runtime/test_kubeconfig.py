"""kubernetes-asyncio for its configuration loaders only: the operator's import leaves its generated API classes
and models unloaded (they cost ~58 MB), while code that asks for them still gets them."""

from __future__ import annotations

import json
import subprocess
import sys


def _run(code: str) -> dict[str, object]:
    """Run `code` in a fresh interpreter; it prints one JSON object as its last line."""
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    loaded: dict[str, object] = json.loads(result.stdout.strip().splitlines()[-1])
    return loaded


def test_importing_the_operator_loads_no_generated_model_or_api_class() -> None:
    found = _run(
        "import json, sys\n"
        "import teamop.operator\n"
        "from teamop.runtime.kubeconfig import generated_models_loaded\n"
        "print(json.dumps({'models': generated_models_loaded(),\n"
        "  'modules': sorted(m for m in sys.modules if m.startswith(('kubernetes_asyncio.client.models.',\n"
        "                                                             'kubernetes_asyncio.client.api.')))}))\n"
    )
    assert found == {"models": False, "modules": []}


def test_the_generated_api_still_loads_when_asked_for_after_the_operator() -> None:
    found = _run(
        "import json\n"
        "import teamop.operator\n"
        "from teamop.runtime.kubeconfig import Configuration, generated_models_loaded\n"
        "from kubernetes_asyncio import client, watch\n"
        "print(json.dumps({'api': client.CoreV1Api.__name__, 'model': client.V1Secret.__name__,\n"
        "  'same configuration': client.Configuration is Configuration, 'watch': watch.Watch.__name__,\n"
        "  'models': generated_models_loaded()}))\n"
    )
    assert found == {"api": "CoreV1Api", "model": "V1Secret", "same configuration": True, "watch": "Watch",
                     "models": True}
