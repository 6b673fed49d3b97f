"""HTTP to the API server: configuration loading, auth, impersonation, throttling, retries, request counting,
typed errors.

kubernetes-asyncio provides the configuration loaders; requests are sent with aiohttp directly so that bodies stay
bytes until the caller decodes them once. kubernetes-asyncio ignores
a kubeconfig user's impersonation fields (`as`, `as-groups`, `as-uid`, `as-user-extra`); `load_kubeconfig` reads
them into an `Impersonation` kept on the Configuration, and every request sends its `Impersonate-*` headers.

Connections: requests share a pool of `REQUEST_CONNECTIONS`; a watch holds its connection for minutes, one per
kind and namespace, so each watch opens its own outside any limit (HTTP/1.1 cannot multiplex): requests never
wait behind watches. `fence_writes` makes every later write fail before it is sent (a leader that lost its lease).
"""

from __future__ import annotations

import asyncio
import asyncio.sslproto
import contextlib
import os
import random
import resource
import ssl
import urllib.request
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlencode

import aiohttp
import structlog
import yarl

from teamop.runtime.errors import ApiConnectionError, ApiError, error_from_response
from teamop.runtime.kubeconfig import ApiClient, Configuration, kube_config, load_incluster_config
from teamop.runtime.requestcount import RequestCounter
from teamop.runtime.throttle import TokenBucket

log = structlog.get_logger(__name__)

USER_AGENT = "team-operator/0.1.0 (python; kubernetes-asyncio)"
Query = Sequence[tuple[str, str]]

# Requests in flight at once on one transport (kubernetes-asyncio's pool size); more wait for a free connection.
REQUEST_CONNECTIONS = 100
# asyncio gives every TLS connection a receive buffer of SSLProtocol.max_size (256 KiB), allocated whole: with a
# connection per watch, 12 watched namespaces held ~70 MB in these buffers. Reading one TLS record (at most
# 16 KiB) at a time costs a large LIST a few more reads instead.
TLS_READ_SIZE = 16 * 1024
WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# The attribute of a kubernetes-asyncio Configuration that carries the kubeconfig's impersonation.
IMPERSONATE_ATTRIBUTE = "teamop_impersonate"
# Characters of an Impersonate-Extra-<key> header name left as they are; others are percent-encoded (as client-go).
_HEADER_KEY_SAFE = "!#$&'*+-.^_`|~"


@dataclass(frozen=True)
class Impersonation:
    """Act as another user (kubeconfig `as`, `as-groups`, `as-uid`, `as-user-extra`; kubectl `--as`). The
    authenticated user needs the `impersonate` verb on users, groups, uids and userextras."""

    user: str
    groups: tuple[str, ...] = ()
    uid: str | None = None
    extra: tuple[tuple[str, tuple[str, ...]], ...] = ()

    def headers(self) -> list[tuple[str, str]]:
        headers = [("Impersonate-User", self.user)]
        headers += [("Impersonate-Group", group) for group in self.groups]
        if self.uid:
            headers.append(("Impersonate-Uid", self.uid))
        for key, values in self.extra:
            headers += [(f"Impersonate-Extra-{quote(key, safe=_HEADER_KEY_SAFE)}", value) for value in values]
        return headers

    @classmethod
    def from_kubeconfig_user(cls, user: Mapping[str, Any] | None) -> Impersonation | None:
        """The impersonation a kubeconfig `users[].user` entry asks for, if any."""
        user = user or {}
        name = user.get("as") or ""
        groups = tuple(str(group) for group in user.get("as-groups") or ())
        uid = user.get("as-uid") or None
        extra = tuple(
            (str(key), tuple(str(v) for v in values)) for key, values in (user.get("as-user-extra") or {}).items()
        )
        if not name:
            if groups or uid or extra:
                raise ValueError("kubeconfig: as-groups, as-uid and as-user-extra need `as` (the user to act as)")
            return None
        return cls(str(name), groups, str(uid) if uid else None, extra)


def impersonation_of(config: Configuration) -> Impersonation | None:
    impersonation: Impersonation | None = getattr(config, IMPERSONATE_ATTRIBUTE, None)
    return impersonation


def api_group_of(path: str) -> str:
    """The API group a request path addresses: "" for /api/..., <group> for /apis/<group>/..."""
    parts = path.split("/")
    return parts[2] if len(parts) > 2 and parts[1] == "apis" else ""


async def load_kubeconfig(path: str | None = None, context: str | None = None) -> Configuration:
    """Configuration from a kubeconfig file (default: $KUBECONFIG, then ~/.kube/config)."""
    config = Configuration()
    config_file = path or os.environ.get("KUBECONFIG") or str(Path.home() / ".kube" / "config")
    loader = await kube_config.load_kube_config(
        config_file=config_file, context=context, client_configuration=config, persist_config=False
    )
    if hasattr(loader, "exec_plugin_expiry"):
        # exec credential plugins hand out short-lived tokens: renew before each request once expired.
        async def refresh(configuration: Configuration, *_: Any) -> None:
            await loader.load_from_exec_plugin()
            configuration.api_key["BearerToken"] = loader.token

        config.refresh_api_key_hook = refresh
    # kubernetes-asyncio has no notion of impersonation: take it from the context's user entry ourselves.
    # (the loader's `_user` is the ConfigNode of the current context's `users[].user` entry)
    user = getattr(getattr(loader, "_user", None), "value", None)
    impersonation = Impersonation.from_kubeconfig_user(user if isinstance(user, Mapping) else None)
    setattr(config, IMPERSONATE_ATTRIBUTE, impersonation)
    return config


def load_in_cluster() -> Configuration:
    """Configuration from the pod's service account (token re-read as it rotates)."""
    config = Configuration()
    load_incluster_config(client_configuration=config)  # type: ignore[no-untyped-call]
    return config


@dataclass(frozen=True)
class RetryPolicy:
    """Jittered exponential backoff. 429 is retried for every verb (the server did not act on the request);
    5xx and lost connections only for idempotent requests; connection refused for all (nothing was sent)."""

    max_retries: int = 5
    base_delay: float = 0.2
    max_delay: float = 10.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, retry_after: float | None = None) -> float:
        backoff = min(self.max_delay, self.base_delay * 2.0**attempt)
        jittered = backoff / 2 + random.uniform(0, backoff / 2)
        if retry_after is not None:
            return float(min(self.max_retry_after, max(retry_after, 0.0))) + random.uniform(0, 0.1)
        return jittered


def proxy_for(url: str) -> str | None:
    """The proxy the environment names for `url` (HTTPS_PROXY/HTTP_PROXY, minus NO_PROXY), read once."""
    target = yarl.URL(url)
    proxies = urllib.request.getproxies_environment()
    bypass = urllib.request.proxy_bypass_environment  # type: ignore[attr-defined]  # not in typeshed
    if not target.host or bypass(target.host, proxies):
        return None
    return proxies.get(target.scheme) or None


def raise_open_file_limit() -> int:
    """Raise this process's soft limit on open files to its hard limit (as Go programs do at start): each watch
    holds a connection. Returns the limit now in force."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft != hard:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
            soft = hard
    return soft


def ssl_context_of(config: Configuration) -> ssl.SSLContext:
    """The TLS settings of a Configuration (its CA, client certificate and verification switches), as
    kubernetes-asyncio's own REST client builds them."""
    context = ssl.create_default_context(cafile=config.ssl_ca_cert)
    if config.cert_file:
        context.load_cert_chain(config.cert_file, keyfile=config.key_file)
    if not config.verify_ssl:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    if config.disable_strict_ssl_verification:
        context.verify_flags &= ~ssl.VERIFY_X509_STRICT
    return context


class WritesFenced(ApiError):
    """A write refused before it was sent: this transport's writes are fenced (e.g. the lease was lost). An
    ApiError without an answer (status 0), never retried, so that callers handle it as any failed write."""

    default_reason = "WritesFenced"


@dataclass(frozen=True)
class Response:
    status: int
    body: bytes


def _retryable(error: BaseException, idempotent: bool) -> bool:
    if isinstance(error, ApiError):
        if error.status == 429:
            return True
        return idempotent and error.status >= 500
    if isinstance(error, aiohttp.ClientSSLError):
        return False
    if isinstance(error, aiohttp.ClientConnectorError):
        return True
    return idempotent and isinstance(error, aiohttp.ClientError | TimeoutError | ConnectionError)


class Transport:
    def __init__(
        self,
        api_client: ApiClient,
        *,
        counter: RequestCounter,
        qps: float | None = None,
        burst: int | None = None,
        retry: RetryPolicy | None = None,
        request_timeout: float = 60.0,
    ) -> None:
        self.api_client = api_client
        self.config: Configuration = api_client.configuration
        self.counter = counter
        self.retry = retry or RetryPolicy()
        self.request_timeout = request_timeout
        self.bucket = TokenBucket(qps, burst or max(1, int(qps * 1.5))) if qps else None
        self._host = str(self.config.host).rstrip("/")
        self._proxy = self.config.proxy or proxy_for(self._host)
        self._session: aiohttp.ClientSession | None = None
        self._watch_session: aiohttp.ClientSession | None = None
        self._fenced: str | None = None
        self.impersonate = impersonation_of(self.config)

    def _new_session(self, connections: int) -> aiohttp.ClientSession:
        """A session with the Configuration's TLS settings and at most `connections` connections (0: no limit),
        that does not trust the environment: with `trust_env=True` (kubernetes-asyncio's) aiohttp reads ~/.netrc
        and the proxy variables anew in a worker thread for every request. The proxy is resolved once instead
        (`proxy_for`), as client-go does."""
        _small_tls_read_buffers()
        connector = aiohttp.TCPConnector(limit=connections, ssl=ssl_context_of(self.config))
        return aiohttp.ClientSession(connector=connector, read_bufsize=2**21)  # watch events of large objects

    @property
    def session(self) -> aiohttp.ClientSession:
        """The requests' session, a pool of `REQUEST_CONNECTIONS`; created on first use, inside the event loop."""
        if self._session is None:
            self._session = self._new_session(REQUEST_CONNECTIONS)
        return self._session

    @property
    def watch_session(self) -> aiohttp.ClientSession:
        """The watches' session: a connection of its own for each watch, no limit."""
        if self._watch_session is None:
            self._watch_session = self._new_session(0)
        return self._watch_session

    def connections(self) -> tuple[int, int]:
        """Connections open to the API server: (requests', watches')."""
        return _open_connections(self._session), _open_connections(self._watch_session)

    def fence_writes(self, reason: str) -> None:
        """From now on every write raises `WritesFenced` instead of being sent; reads go on."""
        self._fenced = reason

    @property
    def writes_fenced(self) -> bool:
        return self._fenced is not None

    async def close(self) -> None:
        for session in (self._session, self._watch_session):
            if session is not None:
                await session.close()
        self._session = self._watch_session = None
        await self.api_client.close()

    async def _headers(self, content_type: str | None, accept: str | None = None) -> list[tuple[str, str]]:
        headers = [("Accept", accept or "application/json"), ("User-Agent", USER_AGENT)]
        if content_type:
            headers.append(("Content-Type", content_type))
        auth = (await self.config.auth_settings()).get("BearerToken")
        if auth and auth.get("value"):
            headers.append(("Authorization", auth["value"]))
        if self.impersonate is not None:
            headers += self.impersonate.headers()  # Impersonate-Group repeats, so not a dict
        return headers

    def _url(self, path: str, query: Query | None) -> yarl.URL:
        url = self._host + path
        if query:
            url += "?" + urlencode(list(query))
        return yarl.URL(url, encoded=True)

    def _request_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        if self.config.tls_server_name:
            kwargs["server_hostname"] = self.config.tls_server_name
        if self._proxy:
            kwargs["proxy"] = self._proxy
        return kwargs

    async def request(
        self,
        method: str,
        path: str,
        *,
        verb: str,
        resource: str,
        query: Query | None = None,
        body: bytes | None = None,
        content_type: str | None = None,
        idempotent: bool,
        accept: str | None = None,
    ) -> Response:
        """Send one logical request, retrying as the policy allows; raise the typed error on failure."""
        attempt = 0
        while True:
            try:
                return await self._send(method, path, verb, resource, query, body, content_type, accept)
            except (ApiError, aiohttp.ClientError, TimeoutError, ConnectionError, ssl.SSLError) as error:
                if attempt >= self.retry.max_retries or not _retryable(error, idempotent):
                    if isinstance(error, ApiError):
                        raise
                    raise ApiConnectionError(f"{method} {path}: {type(error).__name__}: {error}") from error
                retry_after = error.retry_after if isinstance(error, ApiError) else None
                delay = self.retry.delay(attempt, retry_after)
                log.info(
                    "retrying request", method=method, verb=verb, resource=resource, attempt=attempt + 1,
                    delay=round(delay, 3), error=_describe(error),
                )
                attempt += 1
                await asyncio.sleep(delay)

    async def _send(
        self,
        method: str,
        path: str,
        verb: str,
        resource: str,
        query: Query | None,
        body: bytes | None,
        content_type: str | None,
        accept: str | None = None,
    ) -> Response:
        if self.bucket is not None:
            await self.bucket.acquire()
        headers = await self._headers(content_type, accept)
        if self._fenced is not None and method in WRITE_METHODS:
            raise WritesFenced(f"{method} {path} not sent: {self._fenced}")
        # `sock_connect`, not `connect`: aiohttp's `connect` also counts the wait for a free pooled connection.
        timeout = aiohttp.ClientTimeout(total=self.request_timeout, sock_connect=10)
        try:
            async with self.session.request(
                method, self._url(path, query), data=body, headers=headers, timeout=timeout,
                **self._request_kwargs(),
            ) as resp:
                data = await resp.read()
                status = resp.status
                retry_after = resp.headers.get("Retry-After")
        except BaseException:
            self.counter.record(method, None, verb, resource, api_group_of(path))
            raise
        self.counter.record(method, status, verb, resource, api_group_of(path))
        if 200 <= status < 300:
            return Response(status, data)
        raise error_from_response(status, data, retry_after)

    @asynccontextmanager
    async def stream(
        self,
        path: str,
        *,
        verb: str,
        resource: str,
        query: Query | None,
        read_timeout: float,
        accept: str | None = None,
    ) -> AsyncIterator[aiohttp.ClientResponse]:
        """Open a long-running GET (a watch) without retries; the caller reads the body as it arrives."""
        if self.bucket is not None:
            await self.bucket.acquire()
        headers = await self._headers(None, accept)
        timeout = aiohttp.ClientTimeout(total=None, sock_connect=10, sock_read=read_timeout)
        try:
            resp = await self.watch_session.request(
                "GET", self._url(path, query), headers=headers, timeout=timeout, **self._request_kwargs()
            )
        except BaseException as error:
            self.counter.record("GET", None, verb, resource, api_group_of(path))
            if isinstance(error, aiohttp.ClientError | TimeoutError | ConnectionError):
                raise ApiConnectionError(f"GET {path}: {_describe(error)}") from error
            raise
        self.counter.record("GET", resp.status, verb, resource, api_group_of(path))
        try:
            if resp.status != 200:
                raise error_from_response(resp.status, await resp.read(), resp.headers.get("Retry-After"))
            yield resp
        finally:
            # Closing (not releasing) drops the connection: an unfinished watch body must not be drained.
            resp.close()


def _small_tls_read_buffers() -> None:
    """Every TLS connection of this process made from now on reads at most TLS_READ_SIZE at a time."""
    asyncio.sslproto.SSLProtocol.max_size = min(asyncio.sslproto.SSLProtocol.max_size, TLS_READ_SIZE)


def _open_connections(session: aiohttp.ClientSession | None) -> int:
    connector = session.connector if session is not None and not session.closed else None
    if connector is None:
        return 0
    # aiohttp has no public count: the connections handed out, and the idle ones it keeps for reuse.
    acquired = len(getattr(connector, "_acquired", ()))
    idle = sum(len(kept) for kept in getattr(connector, "_conns", {}).values())
    return acquired + idle


def _describe(error: BaseException) -> str:
    if isinstance(error, ApiError):
        return str(error)
    return f"{type(error).__name__}: {error}"
