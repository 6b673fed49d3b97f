"""Default images: a product resource without `image` runs Posit's public image of the version teamop pins; an
image in the spec always wins."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from cases import CONNECT_KEYS, PACKAGE_MANAGER_KEYS, context

from teamop.api.v1beta1 import ChronicleSpec, ConnectSpec, PackageManagerSpec, SiteSpec
from teamop.products import chronicle, connect, images, packagemanager
from teamop.products.launcher_templates import DATA_FILE
from teamop.products.site import SiteInputs, render_site
from teamop.products.site.extras import images_to_prepull

README = Path(__file__).resolve().parents[2] / "README.md"


def container_image(workload: dict[str, Any]) -> str:
    image: str = workload["spec"]["template"]["spec"]["containers"][0]["image"]
    return image


def site(**sections: Any) -> SiteSpec:
    return SiteSpec.model_validate({"domain": "posit.example.com", **sections})


@pytest.mark.parametrize(("image", "repository", "tag"), [
    (images.CONNECT_IMAGE, "ghcr.io/rstudio/rstudio-connect", f"ubuntu2204-{images.CONNECT_VERSION}"),
    (images.CONNECT_CONTENT_INIT_IMAGE, "ghcr.io/rstudio/rstudio-connect-content-init",
     f"ubuntu2204-{images.CONNECT_VERSION}"),
    (images.WORKBENCH_IMAGE, "ghcr.io/rstudio/rstudio-workbench", f"ubuntu2204-{images.WORKBENCH_VERSION}"),
    (images.PACKAGE_MANAGER_IMAGE, "ghcr.io/rstudio/rstudio-package-manager",
     f"ubuntu2204-{images.PACKAGE_MANAGER_VERSION}"),
    (images.CHRONICLE_IMAGE, "ghcr.io/rstudio/chronicle", images.CHRONICLE_VERSION),
])
def test_each_default_is_posits_public_image_tagged_with_a_pinned_product_version(
    image: str, repository: str, tag: str,
) -> None:
    assert image.rsplit(":", 1) == [repository, tag]
    assert re.fullmatch(r"(ubuntu2204-)?20\d\d\.\d\d\.\d+", tag)


def test_an_image_in_the_spec_wins_over_the_default() -> None:
    assert images.server_image("connect", "registry.example/connect:mine") == "registry.example/connect:mine"
    assert images.server_image("connect", None) == images.CONNECT_IMAGE
    assert images.server_image("connect", "") == images.CONNECT_IMAGE  # the Go operator's omitted image


def test_connect_without_an_image_runs_the_default_and_its_sessions_the_matching_runtime() -> None:
    rendered = connect.render(ConnectSpec.model_validate({"url": "connect.example.test", "offHostExecution": True}),
                              context("connect", *CONNECT_KEYS))

    assert container_image(rendered.get("Deployment", "test-connect")) == images.CONNECT_IMAGE
    session_data = rendered.get("ConfigMap", "test-connect-templates")["data"][DATA_FILE]
    assert f'"image":"{images.CONNECT_CONTENT_INIT_IMAGE}"' in session_data


def test_connect_with_an_image_but_no_session_image_keeps_the_go_operators_session_runtime() -> None:
    named = images.connect_content_init_image("ghcr.io/rstudio/rstudio-connect:x", None)

    assert named == images.GO_OPERATOR_CONTENT_INIT_IMAGE
    assert images.connect_content_init_image(None, "mine:1") == "mine:1"
    assert images.connect_content_init_image("ghcr.io/rstudio/rstudio-connect:x", "mine:1") == "mine:1"


def test_package_manager_and_chronicle_without_an_image_run_the_defaults() -> None:
    package_manager = packagemanager.render(PackageManagerSpec.model_validate({"url": "pm.example.test"}),
                                            context("packagemanager", *PACKAGE_MANAGER_KEYS))
    chronicle_rendered = chronicle.render(ChronicleSpec.model_validate({}), context(None))

    assert container_image(package_manager.get("Deployment", "test-packagemanager")) == images.PACKAGE_MANAGER_IMAGE
    assert container_image(chronicle_rendered.get("StatefulSet", "test-chronicle")) == images.CHRONICLE_IMAGE


def test_a_site_without_images_leaves_the_product_resources_as_the_go_operator_writes_them() -> None:
    rendered = render_site("orbit", "team", site(connect={}, packageManager={}, chronicle={}), SiteInputs())

    for resource in rendered.objects:
        if resource["kind"] in ("Connect", "PackageManager", "Chronicle"):
            assert "image" not in resource["spec"], resource["kind"]


def test_workbench_sessions_run_the_default_server_image_when_the_site_names_neither() -> None:
    rendered = render_site("orbit", "team", site(workbench={}), SiteInputs())
    workbench = next(o for o in rendered.objects if o["kind"] == "Workbench")

    profiles = workbench["spec"]["config"]["workbench-profiles-config"]["launcher.kubernetes.profiles.conf"]["*"]
    assert profiles["default-container-image"] == images.WORKBENCH_IMAGE
    assert profiles["container-images"] == [images.WORKBENCH_IMAGE]


def test_the_prepull_daemonset_pulls_the_default_server_images() -> None:
    pulled = images_to_prepull(site(connect={}, workbench={"defaultSessionImage": "s:1"}, packageManager={},
                                    chronicle={}))

    assert pulled == [images.WORKBENCH_IMAGE, "s:1", images.CONNECT_IMAGE, None, images.CHRONICLE_IMAGE, None,
                      images.PACKAGE_MANAGER_IMAGE]


def test_the_chronicle_agent_has_no_default_image_and_the_site_says_so() -> None:
    rendered = render_site("orbit", "team", site(connect={}, chronicle={}), SiteInputs())

    connect_resource = next(o for o in rendered.objects if o["kind"] == "Connect")
    assert "chronicleImage" not in connect_resource["spec"]
    assert [(n.condition, n.reason) for n in rendered.notices] == [("ChronicleAgents", "NoAgentImage")]


def test_the_readme_lists_every_default_image() -> None:
    readme = README.read_text()

    for image in (*images.DEFAULT_IMAGES.values(), images.CONNECT_CONTENT_INIT_IMAGE):
        assert f"`{image}`" in readme, image
