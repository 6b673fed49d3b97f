"""Where each secret key a product needs comes from: the site secret, then the Go operator's `<site>-<component>-key`
Secret, then what teamop generated earlier, then a new value — never a new one while an older one exists."""

from __future__ import annotations

from teamop.api.v1beta1.connect import ConnectSpec
from teamop.api.v1beta1.packagemanager import PackageManagerSpec
from teamop.api.v1beta1.workbench import WorkbenchSpec
from teamop.controllers.generated import (
    Choice,
    Found,
    KeySource,
    choose,
    first_taken,
    new_value,
    plan,
    public_key_of,
    sources_note,
)
from teamop.products.connect import secret_needs as connect_needs
from teamop.products.context import SecretNeed
from teamop.products.packagemanager import secret_needs as package_manager_needs
from teamop.products.workbench.secrets import LAUNCHER_KEY, SECURE_COOKIE_KEY, TESTUSER_PASSWORD
from teamop.products.workbench.secrets import secret_needs as workbench_needs

ENCRYPTION_KEY = SecretNeed("pub-secret-key", "hex-key", predecessor_key="key")
LAUNCHER = SecretNeed("dev-launcher-pem", "rsa-private-key", predecessor_key="launcher.pem",
                      predecessor_public_key="launcher.pub")


def test_the_site_secret_wins_over_every_other_source() -> None:
    found = Found(site_secret={"pub-secret-key": "user"}, predecessor={"key": "go"},
                  generated={"pub-secret-key": "earlier"})

    assert choose(ENCRYPTION_KEY, found) == Choice(KeySource.SITE_SECRET)


def test_the_go_operators_key_wins_over_a_key_teamop_generated_earlier() -> None:
    found = Found(site_secret={"other": "x"}, predecessor={"key": "go"}, generated={"pub-secret-key": "earlier"})

    assert choose(ENCRYPTION_KEY, found) == Choice(KeySource.PREDECESSOR, {"pub-secret-key": "go"})


def test_a_key_teamop_generated_earlier_wins_over_a_new_one() -> None:
    found = Found(predecessor={"launcher.pem": ""}, generated={"pub-secret-key": "earlier"})

    assert choose(ENCRYPTION_KEY, found) == Choice(KeySource.GENERATED_EARLIER, {"pub-secret-key": "earlier"})


def test_a_new_key_only_when_no_secret_holds_one() -> None:
    assert choose(ENCRYPTION_KEY, Found()) == Choice(KeySource.NEW)
    assert choose(ENCRYPTION_KEY, Found(site_secret={"pub-secret-key": ""}, predecessor={"key": ""},
                                        generated={"pub-secret-key": ""})) == Choice(KeySource.NEW)


def test_a_key_never_generated_has_no_source_when_no_secret_holds_it() -> None:
    client_secret = SecretNeed("pub-client-secret", generate=False)

    assert choose(client_secret, Found(predecessor={"pub-client-secret": "x"})) is None
    assert plan([client_secret, ENCRYPTION_KEY], Found()) == {"pub-secret-key": Choice(KeySource.NEW)}


def test_the_predecessors_secret_is_read_only_for_the_keys_it_kept() -> None:
    password = SecretNeed("pub-db-password")

    assert choose(password, Found(predecessor={"pub-db-password": "x", "key": "y"})) == Choice(KeySource.NEW)


def test_the_launcher_pair_is_taken_as_the_go_operator_made_it() -> None:
    private = new_value("rsa-private-key")
    go_public = "-----BEGIN RSA PUBLIC KEY-----\nthe Go operator's own format\n-----END RSA PUBLIC KEY-----\n"

    choice = choose(LAUNCHER, Found(predecessor={"launcher.pem": private, "launcher.pub": go_public}))

    assert choice == Choice(KeySource.PREDECESSOR, {"dev-launcher-pem": private, "dev-launcher-pem.pub": go_public})


def test_a_launcher_key_without_its_public_half_gets_the_matching_public_key() -> None:
    private = new_value("rsa-private-key")

    choice = choose(LAUNCHER, Found(predecessor={"launcher.pem": private}))

    assert choice is not None
    assert choice.values["dev-launcher-pem.pub"] == public_key_of(private)


def test_a_public_key_kept_in_the_generated_secret_is_kept_as_it_is() -> None:
    private = new_value("rsa-private-key")
    found = Found(generated={"dev-launcher-pem": private, "dev-launcher-pem.pub": "taken earlier from Go"})

    choice = choose(LAUNCHER, found)

    assert choice == Choice(KeySource.GENERATED_EARLIER,
                            {"dev-launcher-pem": private, "dev-launcher-pem.pub": "taken earlier from Go"})


def test_a_key_is_taken_from_the_predecessor_once_then_it_is_held() -> None:
    needs = [ENCRYPTION_KEY, SecretNeed("pub-db-password")]
    predecessor = {"key": "go"}

    first = plan(needs, Found(predecessor=predecessor))
    assert first_taken(first, None) == ["pub-secret-key", "pub-db-password"]

    held = {"pub-secret-key": "go", "pub-db-password": "generated then"}
    again = plan(needs, Found(predecessor=predecessor, generated=held))
    assert first_taken(again, held) == []


def test_a_changed_value_in_the_predecessors_secret_is_taken_again() -> None:
    held = {"pub-secret-key": "go"}

    choices = plan([ENCRYPTION_KEY], Found(predecessor={"key": "go, edited"}, generated=held))

    assert first_taken(choices, held) == ["pub-secret-key"]


def test_keys_from_the_site_secret_are_never_taken() -> None:
    choices = plan([ENCRYPTION_KEY], Found(site_secret={"pub-secret-key": "user"}, predecessor={"key": "go"}))

    assert first_taken(choices, None) == []


def test_the_note_names_each_keys_source_and_no_value() -> None:
    note = sources_note("connect", {"pub-secret-key": KeySource.PREDECESSOR, "pub-db-password": KeySource.NEW,
                                    "pub-license": KeySource.SITE_SECRET},
                        ["pub-secret-key", "pub-db-password"], site_secret="orbit", predecessor="orbit-connect-key",
                        generated="orbit-connect-generated")

    assert note == (
        "connect keys (pub-db-password, pub-secret-key taken now): "
        "pub-db-password generated new into orbit-connect-generated; "
        "pub-license from the site secret orbit; "
        "pub-secret-key taken from the Go operator's Secret orbit-connect-key into orbit-connect-generated")


def test_each_product_declares_the_keys_the_go_operator_kept_for_it() -> None:
    def kept(needs: list[SecretNeed]) -> dict[str, tuple[str | None, str | None]]:
        return {n.key: (n.predecessor_key, n.predecessor_public_key) for n in needs if n.predecessor_key}

    assert kept(connect_needs(ConnectSpec())) == {"pub-secret-key": ("key", None)}
    assert kept(package_manager_needs(PackageManagerSpec())) == {"pkg-secret-key": ("key", None)}
    assert kept(workbench_needs(WorkbenchSpec())) == {
        SECURE_COOKIE_KEY: ("key", None),
        LAUNCHER_KEY: ("launcher.pem", "launcher.pub"),
        TESTUSER_PASSWORD: ("testuser-password", None),
    }
