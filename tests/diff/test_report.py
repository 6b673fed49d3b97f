"""How `teamop diff` prints what it found: a summary line per Site, one line per object, one per field; short
values in full, long ones summarised, configuration files as the lines that change; no secret value, ever."""

from __future__ import annotations

from teamop.diff.fields import ABSENT, GENERATED, REDACTED, FieldChange
from teamop.diff.report import (
    MAX_LINE,
    MAX_TEXT_LINES,
    ObjectChange,
    Redactor,
    SiteDiff,
    field_lines,
    format_site_diff,
    shown,
)


def test_a_site_without_changes_is_one_line() -> None:
    out = format_site_diff(SiteDiff("orbit", "posit-team"), Redactor())

    assert out == "Site orbit (namespace posit-team): no changes"


def test_each_object_is_a_line_with_its_action_and_each_field_a_line_below_it() -> None:
    diff = SiteDiff("orbit", "posit-team", [
        ObjectChange("create", "ConfigMap", "orbit-connect", "posit-team"),
        ObjectChange("change", "Deployment", "orbit-connect", "posit-team",
                     fields=(FieldChange("spec.replicas", 3, 1),)),
        ObjectChange("adopt", "Service", "orbit-connect", "posit-team", reason="no controller"),
        ObjectChange("delete", "ConfigMap", "orbit-old", "posit-team"),
        ObjectChange("error", "PersistentVolume", "orbit-shared", None, reason="the API server would refuse it"),
    ])

    assert format_site_diff(diff, Redactor()).splitlines() == [
        "Site orbit (namespace posit-team): 1 to create, 1 to change, 1 to adopt, 1 to delete, 1 with errors",
        "  create  ConfigMap orbit-connect",
        "  change  Deployment orbit-connect",
        "            ~ spec.replicas: 3 -> 1",
        "  adopt   Service orbit-connect: no controller",
        "  delete  ConfigMap orbit-old",
        "  error   PersistentVolume orbit-shared: the API server would refuse it",
    ]


def test_fields_added_removed_and_changed_have_their_own_sign() -> None:
    assert field_lines(FieldChange("metadata.labels.a", new="b")) == ['+ metadata.labels.a: "b"']
    assert field_lines(FieldChange("metadata.labels.a", old="b")) == ['- metadata.labels.a: "b"']
    assert field_lines(FieldChange("spec.paused", False, True)) == ["~ spec.paused: false -> true"]
    assert field_lines(FieldChange("data.x", old="1", note="owned by go")) == ['- data.x: "1"  (owned by go)']


def test_long_values_are_summarised() -> None:
    assert shown("x" * 100) == "(100 characters)"
    assert shown({f"k{i}": "v" * 10 for i in range(8)}) == "{… 8 fields}"
    assert shown(list(range(40))) == "[… 40 items]"
    assert shown(ABSENT) == "(none)"


def test_a_changed_configuration_file_shows_the_lines_that_change() -> None:
    old = "[Server]\nAddress = a\nDataDir = /data\n"
    new = "[Server]\nAddress = b\nDataDir = /data\n"

    assert field_lines(FieldChange('data["rstudio-connect.gcfg"]', old, new)) == [
        '~ data["rstudio-connect.gcfg"]:', "  - Address = a", "  + Address = b"]


def test_a_file_with_many_changed_lines_shows_the_first_ones_and_how_many_more() -> None:
    old = "".join(f"line {i}\n" for i in range(100))
    new = "".join(f"line {i}!\n" for i in range(100))

    lines = field_lines(FieldChange("data.big", old, new))

    assert len(lines) == 1 + MAX_TEXT_LINES + 1
    assert lines[-1] == f"  … {200 - MAX_TEXT_LINES} more changed lines"


def test_a_long_line_of_a_file_is_clipped() -> None:
    old, new = "{}\n", "{" + "x" * 1000 + "}\n"

    lines = field_lines(FieldChange("data.big", old, new))

    assert lines[2] == f"  + {new[:MAX_LINE]}… (1002 characters)"


def test_secret_placeholders_are_shown_as_they_are() -> None:
    assert field_lines(FieldChange("data.key", new=GENERATED)) == ["+ data.key: <generated>"]
    assert field_lines(FieldChange("data.key", REDACTED, REDACTED)) == ["~ data.key: <redacted> -> <redacted>"]


def test_a_known_secret_value_is_redacted_wherever_it_appears() -> None:
    diff = SiteDiff("orbit", "posit-team", [ObjectChange(
        "change", "Deployment", "orbit-connect", "posit-team",
        fields=(FieldChange("spec.template.spec.containers[name=connect].env[name=DB].value",
                            "postgres://u:hunter22@db", "postgres://u:s3cret-pw@db"),))])

    out = format_site_diff(diff, Redactor(["hunter22", "s3cret-pw", "no"]))

    assert "hunter22" not in out
    assert "s3cret-pw" not in out
    assert '"postgres://u:<redacted>@db" -> "postgres://u:<redacted>@db"' in out


def test_short_secret_values_are_not_hunted_everywhere() -> None:
    assert Redactor(["true", "1"]).scrub("replicas: 1, enabled: true") == "replicas: 1, enabled: true"


def test_each_line_of_a_multi_line_secret_is_redacted() -> None:
    key = "-----BEGIN PRIVATE KEY-----\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASC\n-----END PRIVATE KEY-----"

    assert "MIIEvQ" not in Redactor([key]).scrub("value: MIIEvQIBADANBgkqhkiG9w0BAQEFAASC")
