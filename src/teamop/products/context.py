"""What a product renderer is told besides its spec: where secrets live, its database, the Chronicle agent.

The controller fills this in from the cluster (the site secret, the generated Secret, the Site); renderers only
read it, so rendering stays pure and testable with golden files.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field


@dataclass(frozen=True)
class SecretKeyRef:
    """One key of one Secret in the Site's namespace."""

    name: str
    key: str

    def env_source(self) -> dict[str, object]:
        """As a container env `valueFrom`."""
        return {"secretKeyRef": {"name": self.name, "key": self.key}}


@dataclass(frozen=True)
class DatabaseTarget:
    """The product's own database (role and database `<site>_<component>`); the password is only ever a
    reference, never a value."""

    host: str
    port: int
    database: str
    user: str
    sslmode: str
    password: SecretKeyRef
    schemas: tuple[str, ...] = ()

    def url(self, schema: str | None = None) -> str:
        """`postgres://user@host:port/db?options=-csearch_path=<schema>&sslmode=...` — no password in it."""
        query = [f"options=-csearch_path={schema}"] if schema else []
        query.append(f"sslmode={self.sslmode}")
        return f"postgres://{self.user}@{self.host}:{self.port}/{self.database}?{'&'.join(query)}"


@dataclass(frozen=True)
class ChronicleAgent:
    """Present only when Chronicle is enabled and `spec.chronicle.agentImage` is set (COMPAT.md)."""

    image: str
    server_url: str
    api_key: SecretKeyRef | None = None


@dataclass(frozen=True)
class RenderContext:
    site: str
    namespace: str
    # logical key (e.g. "pub-secret-key", "pub-db-password") -> where its value lives: the site secret when it
    # has that key, else `<site>-<component>-generated`. Renderers declare the keys they need (see
    # `SecretNeed`); the controller resolves every declared key before rendering.
    secrets: Mapping[str, SecretKeyRef] = field(default_factory=dict)
    database: DatabaseTarget | None = None
    chronicle: ChronicleAgent | None = None
    operator_image: str = "ghcr.io/posit-dev/teamop:latest"
    # Whether Traefik's Middleware kind is served: the product's Middlewares are rendered only then (its Ingress
    # names them either way, as the reference's does).
    traefik_middlewares: bool = False

    def secret(self, key: str) -> SecretKeyRef:
        try:
            return self.secrets[key]
        except KeyError:
            raise KeyError(f"secret key {key!r} was not resolved; declare it as a SecretNeed") from None


@dataclass(frozen=True)
class SecretNeed:
    """A secret value a product needs. When the site secret lacks `key`, the controller takes the Go operator's
    value (`predecessor_key`) or generates one of `kind`, once, into `<site>-<component>-generated` under the same
    key and never regenerates it."""

    key: str
    kind: str = "password"  # "password" (URL-safe random text) | "hex-key" (64 hex chars) | "rsa-private-key"
    generate: bool = True
    """False: a value only another system can issue (an OIDC client secret, an API key, SMTP settings, a
    licence). Resolve it when the site secret has the key, never generate it; renderers leave out what needs
    an unresolved key."""
    predecessor_key: str | None = None
    """The key under which the Go operator's `<site>-<component>-key` Secret holds this value, if it made one:
    taken over (before teamop's own generated value) so that a migrated product keeps its key."""
    predecessor_public_key: str | None = None
    """For an rsa-private-key: the key of the matching public key in that Secret."""
