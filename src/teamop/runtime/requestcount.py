"""Counts API requests by (HTTP method, status code), by (verb, resource) and by (verb, group, resource, code),
and feeds Prometheus."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import NamedTuple, TypeVar

from prometheus_client import CollectorRegistry
from prometheus_client import Counter as PromCounter

from teamop.runtime import metrics

WRITE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})

# Status "code" used when a request got no HTTP answer (as client-go's "<error>").
NO_RESPONSE = "<error>"

K = TypeVar("K")

_counters: dict[int, PromCounter] = {}


def _prometheus_counter(registry: CollectorRegistry | None) -> PromCounter:
    if registry is None or registry is metrics.REGISTRY:
        return metrics.rest_client_requests_total
    counter = _counters.get(id(registry))
    if counter is None:
        counter = PromCounter(
            "rest_client_requests_total",
            "Number of HTTP requests, partitioned by status code and method.",
            ["code", "method"],
            registry=registry,
        )
        _counters[id(registry)] = counter
    return counter


class ApiRequest(NamedTuple):
    """What one request asked for and what it got: the client's verb ("get", "list", "watch", "create", "apply",
    "patch", "update", "delete", "discovery"), the API group ("" for the core group), the resource (plural, with
    "/subresource" when there is one; the path for discovery) and the HTTP status code (NO_RESPONSE without one)."""

    verb: str
    group: str
    resource: str
    code: str


@dataclass(frozen=True)
class RequestSnapshot:
    """A point-in-time copy of the counts; subtract two to get the requests made in between."""

    by_method_code: dict[tuple[str, str], int] = field(default_factory=dict)
    by_verb_resource: dict[tuple[str, str], int] = field(default_factory=dict)
    by_request: dict[ApiRequest, int] = field(default_factory=dict)

    def total(self) -> int:
        return sum(self.by_method_code.values())

    def writes(self) -> int:
        return sum(n for (method, _), n in self.by_method_code.items() if method in WRITE_METHODS)

    def verb(self, verb: str, resource: str | None = None) -> int:
        return sum(
            n for (v, r), n in self.by_verb_resource.items() if v == verb and (resource is None or r == resource)
        )

    def with_code(self, code: int | str) -> dict[ApiRequest, int]:
        """The requests that got this status code (e.g. 403)."""
        return {request: n for request, n in self.by_request.items() if request.code == str(code)}

    def __sub__(self, earlier: RequestSnapshot) -> RequestSnapshot:
        def diff(now: dict[K, int], then: dict[K, int]) -> dict[K, int]:
            return {k: n - then.get(k, 0) for k, n in now.items() if n - then.get(k, 0)}

        return RequestSnapshot(
            diff(self.by_method_code, earlier.by_method_code), diff(self.by_verb_resource, earlier.by_verb_resource),
            diff(self.by_request, earlier.by_request),
        )


class RequestCounter:
    """Every request the client sends is recorded once, retries included, with the code it got."""

    def __init__(self, registry: CollectorRegistry | None = None) -> None:
        self._by_method_code: Counter[tuple[str, str]] = Counter()
        self._by_verb_resource: Counter[tuple[str, str]] = Counter()
        self._by_request: Counter[ApiRequest] = Counter()
        self._prometheus = _prometheus_counter(registry)

    def record(self, method: str, code: int | None, verb: str, resource: str, group: str = "") -> None:
        code_label = NO_RESPONSE if code is None else str(code)
        self._by_method_code[(method, code_label)] += 1
        self._by_verb_resource[(verb, resource)] += 1
        self._by_request[ApiRequest(verb, group, resource, code_label)] += 1
        self._prometheus.labels(code=code_label, method=method).inc()

    def total(self) -> int:
        return sum(self._by_method_code.values())

    def writes(self) -> int:
        return sum(n for (method, _), n in self._by_method_code.items() if method in WRITE_METHODS)

    def snapshot(self) -> RequestSnapshot:
        return RequestSnapshot(dict(self._by_method_code), dict(self._by_verb_resource), dict(self._by_request))
