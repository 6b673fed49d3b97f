"""The reference's test Site, rendered by teamop, gives the Workbench resource the Go operator's Site controller
wrote (tests/reference/rendered/Workbench-test.yaml), and that resource gives the configuration files the Go
operator's Workbench controller wrote (tests/reference/rendered/test_site/ConfigMap-test-workbench*.yaml).

Settings are compared, not bytes: `key=value` files key by key (per `[section]`), JSON as data, login files as the
settings they hold. Comments and column alignment are not settings and are ignored. The only differences allowed
are those listed, with their reasons, in `teamop.products.site.differences`.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest
from workbench_cases import NAMESPACE, REFERENCE, SITE, context_for, load, reference_object

from teamop.api.v1beta1 import SiteSpec
from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.products.site import DatabaseServer, SiteInputs, render_site
from teamop.products.site.differences import allowed_paths
from teamop.products.workbench import render
from teamop.products.workbench.render import WorkbenchRendered
from teamop.testing.parity import Settings, differences, ini_settings, leaves

DATABASE = DatabaseServer("postgres.example.test", 5432, "disable")


@pytest.fixture(scope="module")
def workbench_resource() -> dict[str, Any]:
    site = SiteSpec.model_validate(load(REFERENCE / "Site-test.yaml")["spec"])
    rendered = render_site(SITE, NAMESPACE, site, SiteInputs(database=DATABASE))
    resources = [obj for obj in rendered.objects if obj["kind"] == "Workbench"]
    assert len(resources) == 1
    return resources[0]


@pytest.fixture(scope="module")
def workbench_objects(workbench_resource: dict[str, Any]) -> WorkbenchRendered:
    spec = WorkbenchSpec.model_validate(workbench_resource["spec"])
    return render(spec, context_for(spec))


def meaningful_lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip() and not line.strip().startswith("#")]


def conf_settings(text: str) -> Settings:
    """`[section] key` → value for a `key=value` file (a key before any section is located by its name alone)."""
    return ini_settings(text, comment_marks=("#",))


def whitespace_settings(text: str) -> Settings:
    """login.defs: `NAME value` lines, the columns aligned with any whitespace."""
    settings: Settings = {}
    for line in meaningful_lines(text):
        name, *value = line.split(None, 1)
        settings[name] = value[0] if value else ""
    return settings


def line_settings(text: str) -> Settings:
    """Files read line by line (PAM rules, shell lines, one extension per line): line n → its words."""
    return {f"line {number}": line.split() for number, line in enumerate(meaningful_lines(text), 1)}


def json_settings(text: str) -> Settings:
    return leaves(json.loads(text))


def template_data_settings(text: str) -> Settings:
    """The session data document: `{{- define ... }}`, one line of JSON, `{{- end }}`."""
    first, document, last = text.strip().split("\n")
    return {"define": first, **leaves(json.loads(document)), "end": last}


def template_settings(text: str) -> Settings:
    """A launcher template: the header declaring its interface version (what the launcher checks), then the
    template itself."""
    lines = text.splitlines()
    header = [line for line in lines[:3] if line.startswith("# ")]
    return {**{line: "present" for line in header}, "body": "\n".join(lines[len(header):])}


FILE_FORMATS: dict[str, Callable[[str], Settings]] = {
    ".json": json_settings,
    ".extensions.conf": line_settings,
    ".conf": conf_settings,
    "launcher-env": line_settings,
    "login.defs": whitespace_settings,
    "common-session": line_settings,
    "99-ptd.sh": line_settings,
    "rstudio-library-templates-data.tpl": template_data_settings,
    ".tpl": template_settings,
}


def file_settings(name: str, text: str) -> Settings:
    parse = next(parse for ending, parse in FILE_FORMATS.items() if name.endswith(ending))
    return parse(text)


def config_map_differences(rendered: WorkbenchRendered, name: str) -> list[str]:
    """Differences between teamop's ConfigMap `name` and the reference's, each at `data.<file>.<location>`."""
    ours = rendered.get("ConfigMap", name)["data"]
    theirs = reference_object("ConfigMap", name)["data"]
    allowed = allowed_paths("ConfigMap")
    found = [f"data.{file}: only in {'teamop' if file in ours else 'the reference'}"
             for file in sorted(set(ours) ^ set(theirs))]
    for file in sorted(set(ours) & set(theirs)):
        found += differences(file_settings(file, ours[file]), file_settings(file, theirs[file]), allowed,
                             prefix=f"data.{file}.")
    return found


def test_the_site_writes_the_workbench_resource_the_reference_wrote(workbench_resource: dict[str, Any]) -> None:
    theirs = load(REFERENCE / "Workbench-test.yaml")
    assert workbench_resource["metadata"]["name"] == theirs["metadata"]["name"]
    assert differences(leaves(workbench_resource["spec"]), leaves(theirs["spec"]), allowed_paths("Workbench")) == []


def test_the_server_config_files_hold_the_reference_settings(workbench_objects: WorkbenchRendered) -> None:
    assert config_map_differences(workbench_objects, f"{SITE}-workbench") == []


def test_the_session_config_files_hold_the_reference_settings(workbench_objects: WorkbenchRendered) -> None:
    assert config_map_differences(workbench_objects, f"{SITE}-workbench-session") == []


def test_the_login_files_hold_the_reference_settings(workbench_objects: WorkbenchRendered) -> None:
    assert config_map_differences(workbench_objects, f"{SITE}-workbench-login") == []


def test_the_session_templates_declare_the_reference_version_and_carry_the_reference_data(
    workbench_objects: WorkbenchRendered,
) -> None:
    assert config_map_differences(workbench_objects, f"{SITE}-workbench-templates") == []
