"""Chronicle rendering and the agent the other products get."""

from __future__ import annotations

from typing import Any

from cases import context, reference_spec

from teamop.api.v1beta1 import ChronicleSpec, SiteChronicle
from teamop.products import chronicle
from teamop.products.rendered import Rendered


def render(spec: dict[str, Any]) -> Rendered:
    return chronicle.render(ChronicleSpec.model_validate(spec), context(None))


def test_chronicle_runs_as_a_stateful_set() -> None:
    rendered = render(reference_spec("Chronicle"))
    assert rendered.of_kind("Deployment") == []
    stateful_set = rendered.get("StatefulSet", "test-chronicle")
    assert stateful_set["spec"]["serviceName"] == "chronicle-server"
    assert stateful_set["spec"]["template"]["spec"]["containers"][0]["args"] == [
        "start", "-c", "/etc/posit-chronicle/posit-chronicle.gcfg",
    ]


def test_an_s3_bucket_is_written_to_the_config_and_needs_no_claim() -> None:
    rendered = render(reference_spec("Chronicle"))
    assert "[S3Storage]\nEnabled = true\nBucket = example-chronicle-test-bucket\n" in rendered.files[
        "posit-chronicle.gcfg"
    ]
    assert rendered.of_kind("PersistentVolumeClaim") == []


def test_without_a_bucket_chronicle_stores_locally_on_a_claim() -> None:
    rendered = render({"image": "chronicle:1"})
    assert "[LocalStorage]\nEnabled = true\nLocation = /var/lib/posit-chronicle/data\n" in rendered.files[
        "posit-chronicle.gcfg"
    ]
    assert rendered.find("PersistentVolumeClaim", "test-chronicle") is not None


def test_agents_are_only_for_an_enabled_chronicle_with_an_agent_image() -> None:
    assert chronicle.agent_for("s", "ns", None) is None
    assert chronicle.agent_for("s", "ns", SiteChronicle(image="c:1")) is None
    assert chronicle.agent_for("s", "ns", SiteChronicle(agent_image="a:1", enabled=False)) is None
    agent = chronicle.agent_for("s", "ns", SiteChronicle(agent_image="a:1"))
    assert agent is not None
    assert (agent.image, agent.server_url) == ("a:1", "http://s-chronicle.ns.svc.cluster.local")
