"""Parsing the Go operator's admin URL and credentials."""

from __future__ import annotations

import pytest

from teamop.db.server import InvalidDatabaseURL, parse_admin_url


def test_credentials_from_the_secret_replace_the_urls_own() -> None:
    login = parse_admin_url("postgres://old:oldpw@db.example:6543/postgres?sslmode=require",
                            username="admin", password="s3cret")
    assert (login.host, login.port, login.database, login.user, login.password, login.sslmode) == (
        "db.example", 6543, "postgres", "admin", "s3cret", "require")


def test_a_url_without_credentials_takes_them_from_the_secret() -> None:
    login = parse_admin_url("postgres://db.example/postgres?sslmode=disable", username="u", password="p")
    assert (login.port, login.user, login.password) == (5432, "u", "p")


def test_the_urls_credentials_are_used_when_the_secret_has_none() -> None:
    login = parse_admin_url("postgresql://u:p%40ss@db.example:5432/postgres")
    assert (login.user, login.password, login.sslmode) == ("u", "p@ss", "prefer")


def test_the_password_never_appears_in_repr_or_str() -> None:
    login = parse_admin_url("postgres://u:hunter2@db.example/postgres")
    assert "hunter2" not in repr(login)
    assert "hunter2" not in str(login)
    assert "hunter2" in login.dsn()


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("mysql://u:p@db/x", "scheme"),
        ("postgres:///postgres", "no host"),
        ("postgres://db.example/postgres?sslmode=sometimes", "sslmode"),
        ("postgres://db.example:notaport/postgres", "not a valid URL"),
        ("postgres://db.example/postgres", "no user"),
    ],
)
def test_a_malformed_url_is_refused_with_a_reason(url: str, message: str) -> None:
    with pytest.raises(InvalidDatabaseURL, match=message):
        parse_admin_url(url)


def test_a_malformed_urls_error_does_not_show_its_password() -> None:
    with pytest.raises(InvalidDatabaseURL) as caught:
        parse_admin_url("postgres://u:topsecret@db.example:99999999/postgres")
    assert "topsecret" not in str(caught.value)
