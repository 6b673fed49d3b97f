"""The configuration page's data: the Site's settings, and never a secret value."""

from __future__ import annotations

import pytest

from teamop.flightdeck.config_view import Setting, looks_secret, site_settings, words

from .sites import SECRET_VALUES, secret_site


def test_no_secret_value_survives() -> None:
    rendered = repr(site_settings(secret_site()["spec"]))
    for value in SECRET_VALUES:
        assert value not in rendered


def test_secret_names_are_shown_but_not_their_keys() -> None:
    settings = {s.path: s.value for s in site_settings(secret_site()["spec"])}
    assert settings["secret.vaultName"] == "orbit-secrets"
    assert settings["workloadSecret.type"] == "kubernetes"
    assert settings["workbench.license.existingSecretName"] == "licenses"
    assert "workbench.license.existingSecretKey" not in settings
    assert settings["connect.auth.clientId"] == "connect-client"
    assert settings["connect.domainPrefix"] == "rsconnect"


def test_a_secret_reference_shows_only_its_type_and_name() -> None:
    spec = {"secret": {"type": "kubernetes", "vaultName": "s", "value": "oops"}}
    assert site_settings(spec) == [Setting("secret.type", "kubernetes"), Setting("secret.vaultName", "s")]


def test_lists_and_scalars_are_flattened_in_order() -> None:
    spec = {"networkTrust": 50, "imagePullSecrets": ["regcred", "other"], "debug": True}
    assert site_settings(spec) == [
        Setting("debug", "true"),
        Setting("imagePullSecrets[0]", "regcred"),
        Setting("imagePullSecrets[1]", "other"),
        Setting("networkTrust", "50"),
    ]


@pytest.mark.parametrize(
    "field",
    ["password", "dbPassword", "clientSecret", "key", "apiKey", "existingSecretKey", "token", "sshKeys",
     "AWS_SECRET_ACCESS_KEY", "privateKey", "credentials", "passphrase"],
)
def test_secret_looking_fields(field: str) -> None:
    assert looks_secret(field)


@pytest.mark.parametrize(
    "field", ["keycloak", "existingSecretName", "vaultName", "domain", "monkey", "clientId", "imagePullPolicy"]
)
def test_harmless_fields(field: str) -> None:
    assert not looks_secret(field)


def test_words_split_camel_snake_and_kebab_case() -> None:
    assert words("existingSecretKey") == ["existing", "secret", "key"]
    assert words("AWS_SECRET_ACCESS_KEY") == ["aws", "secret", "access", "key"]
    assert words("user-provisioning-enabled") == ["user", "provisioning", "enabled"]
    assert words("samlIdPAttributeProfile") == ["saml", "id", "p", "attribute", "profile"]
