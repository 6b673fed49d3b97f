"""The launcher templates Connect (and Workbench) sessions are built from."""

from __future__ import annotations

import json

from teamop.api.v1beta1 import SessionConfig
from teamop.products.launcher_templates import data_file, session_data, template_files


def test_job_and_service_templates_declare_the_template_interface_version() -> None:
    files = template_files({})
    for name in ("job.tpl", "service.tpl"):
        assert files[name].startswith('# Version: 2.5.0\n# DO NOT MODIFY the "Version: " key\n')


def test_the_data_file_defines_the_named_template_as_json() -> None:
    text = data_file({"pod": {"serviceAccountName": "sa"}})
    first, document, last = text.split("\n")
    assert first == '{{- define "rstudio-library.templates.data" }}'
    assert json.loads(document) == {"pod": {"serviceAccountName": "sa"}}
    assert last == "{{- end }}"


def test_session_config_adds_to_the_product_settings_and_keeps_the_session_labels() -> None:
    config = SessionConfig.model_validate({
        "pod": {"labels": {"team": "a", "posit.team/site": "other"}, "imagePullSecrets": [{"name": "regcred"}],
                "env": [{"name": "X", "value": "1"}]},
        "service": {"type": "NodePort"},
    })
    data = session_data(site="s", session_component="connect-session", service_account="s-connect-session",
                        session_config=config, image_pull_secrets=["regcred"], env=[{"name": "A", "value": "0"}])
    assert data["pod"]["labels"] == {"team": "a", "posit.team/site": "s", "posit.team/component": "connect-session"}
    assert data["pod"]["imagePullSecrets"] == [{"name": "regcred"}]
    assert data["pod"]["env"] == [{"name": "A", "value": "0"}, {"name": "X", "value": "1"}]
    assert data["service"]["type"] == "NodePort"
