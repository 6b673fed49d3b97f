"""Reading `teamop run`'s own /metrics text: requests, queues and reconciles per controller."""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass, field

WRITE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
_SAMPLE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? ([0-9.e+-]+|NaN|\+Inf)$", re.MULTILINE)
_LABEL = re.compile(r'(\w+)="((?:[^"\\]|\\.)*)"')


@dataclass
class Metrics:
    """Samples by metric name: a list of (labels, value)."""

    samples: dict[str, list[tuple[dict[str, str], float]]] = field(default_factory=lambda: defaultdict(list))

    @classmethod
    def parse(cls, text: str) -> Metrics:
        metrics = cls()
        for match in _SAMPLE.finditer(text):
            labels = dict(_LABEL.findall(match.group(2) or ""))
            metrics.samples[match.group(1)].append((labels, float(match.group(3))))
        return metrics

    def sum(self, metric: str, /, **where: str) -> float:
        return sum(value for labels, value in self.samples.get(metric, [])
                   if all(labels.get(k) == v for k, v in where.items()))

    def by(self, metric: str, label: str, /, **where: str) -> dict[str, float]:
        totals: dict[str, float] = defaultdict(float)
        for labels, value in self.samples.get(metric, []):
            if all(labels.get(k) == v for k, v in where.items()):
                totals[labels.get(label, "")] += value
        return dict(totals)

    def requests(self) -> tuple[float, float]:
        """(all requests, writes) so far."""
        methods = self.by("rest_client_requests_total", "method")
        return sum(methods.values()), sum(methods.get(m, 0.0) for m in WRITE_METHODS)

    def idle(self) -> bool:
        """No key queued and no reconcile running in any controller (keys waiting on a timer do not count)."""
        return self.sum("workqueue_depth") == 0 and self.sum("controller_runtime_active_workers") == 0


def controller_summary(before: Metrics, after: Metrics) -> list[str]:
    """One line per controller: reconciles by result, retries, seconds queued and reconciling in all."""
    lines = []
    for name in sorted(after.by("workqueue_adds_total", "name")):
        def delta(metric: str, /, **where: str) -> float:
            return after.sum(metric, **where) - before.sum(metric, **where)

        results = {result: after.sum("controller_runtime_reconcile_total", controller=name, result=result)
                   - before.sum("controller_runtime_reconcile_total", controller=name, result=result)
                   for result in ("success", "requeue", "requeue_after", "error")}
        reconciles = delta("controller_runtime_reconcile_time_seconds_count", controller=name)
        queued = delta("workqueue_queue_duration_seconds_sum", name=name)
        gets = delta("workqueue_queue_duration_seconds_count", name=name)
        working = delta("controller_runtime_reconcile_time_seconds_sum", controller=name)
        outcomes = ", ".join(f"{k} {v:.0f}" for k, v in results.items() if v)
        lines.append(
            f"{name}: {reconciles:.0f} reconciles ({outcomes}), {delta('workqueue_adds_total', name=name):.0f} adds, "
            f"{delta('workqueue_retries_total', name=name):.0f} rate-limited re-adds, queued {queued:.1f} s in all "
            f"({queued / gets if gets else 0:.2f} s each), reconciling {working:.1f} s in all "
            f"({working / reconciles if reconciles else 0:.2f} s each)"
        )
    return lines
