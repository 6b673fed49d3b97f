"""Where the PostgreSQL server is and how to log in to it, from the Go operator's admin URL and credentials."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Literal, cast, get_args
from urllib.parse import parse_qs, quote, unquote, urlsplit

SSLMode = Literal["disable", "allow", "prefer", "require", "verify-ca", "verify-full"]
SSL_MODES: tuple[str, ...] = get_args(SSLMode)


class InvalidDatabaseURL(ValueError):
    """The admin URL cannot be used; the message never contains the URL's password."""


@dataclass(frozen=True)
class ServerLogin:
    """One login on one PostgreSQL server. `repr` and `str` never show the password."""

    host: str
    port: int
    database: str
    user: str
    password: str = field(repr=False)
    sslmode: SSLMode = "prefer"

    def __str__(self) -> str:
        return self.redacted()

    def redacted(self) -> str:
        return f"postgres://{self.user}:***@{self.host}:{self.port}/{self.database}?sslmode={self.sslmode}"

    def to(self, database: str) -> ServerLogin:
        """The same login on another database of the server."""
        return replace(self, database=database)

    def as_user(self, user: str, password: str) -> ServerLogin:
        return replace(self, user=user, password=password)

    def dsn(self) -> str:
        """A libpq URL with the password: hand it to a driver, never to a log."""
        credentials = f"{quote(self.user, safe='')}:{quote(self.password, safe='')}"
        return f"postgresql://{credentials}@{self.host}:{self.port}/{quote(self.database, safe='')}"


def parse_admin_url(url: str, *, username: str | None = None, password: str | None = None) -> ServerLogin:
    """Parse `main-database-url` (e.g. `postgres://host:5432/postgres?sslmode=require`); `username`/`password`
    from the credential Secret replace the URL's own, as the Go operator does."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port or 5432
    except ValueError as error:
        raise InvalidDatabaseURL(f"not a valid URL ({_without_secret(str(error), url)})") from None
    if parts.scheme not in ("postgres", "postgresql"):
        raise InvalidDatabaseURL(f"scheme must be postgres:// or postgresql://, not {parts.scheme or 'empty'!r}")
    if not parts.hostname:
        raise InvalidDatabaseURL("the URL names no host")
    query = parse_qs(parts.query)
    sslmode = query.get("sslmode", ["prefer"])[0]
    if sslmode not in SSL_MODES:
        raise InvalidDatabaseURL(f"sslmode {sslmode!r} is not one of {', '.join(SSL_MODES)}")
    user = username or unquote(parts.username or "")
    secret = password if password is not None else unquote(parts.password or "")
    if not user:
        raise InvalidDatabaseURL("no user: put one in the URL or under key `username` of the credential Secret")
    return ServerLogin(
        host=parts.hostname,
        port=port,
        database=unquote(parts.path.lstrip("/")) or "postgres",
        user=user,
        password=secret,
        sslmode=cast(SSLMode, sslmode),
    )


def _without_secret(text: str, url: str) -> str:
    try:
        secret = urlsplit(url).password
    except ValueError:
        secret = None
    return text.replace(secret, "***") if secret else text
