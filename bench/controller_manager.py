"""kube-controller-manager's side of a scale run (issue 22): does its client-side rate limit set a floor under
"all workloads available"?

Each of its controllers has a client of its own, limited to `--kube-api-qps` (default 20 requests/s, burst 30).
Its /metrics count the requests of all its clients together (`rest_client_requests_total{host,method,code}`) and
the time they waited on their limiters (`rest_client_rate_limiter_duration_seconds{host,verb}`): they do not say
which controller sent what. So the writes are also split by controller from the API server's own counts
(`apiserver_request_total{group,resource,subresource,verb}`: a ReplicaSet's creation is the Deployment
controller's, its status the ReplicaSet controller's) and from the objects and Events left after the run. A
controller that must send N requests at 20/s needs at least (N - burst) / 20 seconds, whatever the operator does.
"""

from __future__ import annotations

import json
import threading
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from bench.operator_metrics import WRITE_METHODS, Metrics
from teamop.testing.controlplane import ControlPlane

QPS = 20.0  # kube-controller-manager's --kube-api-qps default, per controller's client (the fixture keeps it)
BURST = 30  # its --kube-api-burst default
# The writes each controller makes, as the API server counts them: (group, resource, subresource, verbs).
# Pods created are split between the ReplicaSet, StatefulSet and DaemonSet controllers by their owners after the
# run. ControllerRevisions (one per StatefulSet or DaemonSet) are left out: the API server's count is printed.
WRITES_BY_CONTROLLER: dict[str, list[tuple[str, str, str, tuple[str, ...]]]] = {
    "deployment-controller": [("apps", "replicasets", "", ("POST", "PUT", "PATCH")),
                              ("apps", "deployments", "status", ("PUT", "PATCH"))],
    "replicaset-controller": [("apps", "replicasets", "status", ("PUT", "PATCH"))],
    "statefulset-controller": [("apps", "statefulsets", "status", ("PUT", "PATCH"))],
    "daemonset-controller": [("apps", "daemonsets", "status", ("PUT", "PATCH"))],
    "endpointslice-controller": [("discovery.k8s.io", "endpointslices", "", ("POST", "PUT", "DELETE"))],
    "persistentvolume-binder-controller": [("", "persistentvolumes", "", ("PUT",)),
                                           ("", "persistentvolumes", "status", ("PUT",)),
                                           ("", "persistentvolumeclaims", "", ("PUT",)),
                                           ("", "persistentvolumeclaims", "status", ("PUT",))],
}
POD_OWNERS = {"ReplicaSet": "replicaset-controller", "StatefulSet": "statefulset-controller",
              "DaemonSet": "daemonset-controller"}
QUEUES = ("deployment", "replicaset", "statefulset", "daemonset", "endpoint_slice")


@dataclass
class Snapshot:
    at: float
    controller_manager: Metrics
    apiserver: Metrics

    @classmethod
    def take(cls, plane: ControlPlane) -> Snapshot:
        return cls(time.monotonic(), Metrics.parse(plane.controller_manager_metrics()),
                   Metrics.parse(plane.apiserver_metrics()))


@dataclass
class ObjectCounts:
    """What the controllers left, counted from the API after the run."""

    events: Counter[str] = field(default_factory=Counter)  # by reporting component: Event objects
    occurrences: Counter[str] = field(default_factory=Counter)  # by reporting component: their counts summed
    pods_by_owner: Counter[str] = field(default_factory=Counter)
    replicasets: int = 0
    deployments: int = 0
    statefulsets: int = 0

    @classmethod
    def count(cls, plane: ControlPlane) -> ObjectCounts:
        def items(resource: str) -> list[dict[str, object]]:
            listed: list[dict[str, object]] = json.loads(
                plane.kubectl("get", resource, "-A", "-o", "json", timeout=300).stdout)["items"]
            return listed

        counts = cls()
        for event in items("events"):
            source = event.get("source") or {}
            component = str(event.get("reportingComponent") or (source.get("component") if isinstance(source, dict)
                                                                else "") or "?")
            series = event.get("series") or {}
            occurrences = (series.get("count") if isinstance(series, dict) else None) or event.get("count") or 1
            counts.events[component] += 1
            counts.occurrences[component] += int(str(occurrences))
        for pod in items("pods"):
            metadata = pod.get("metadata") or {}
            owners = metadata.get("ownerReferences") if isinstance(metadata, dict) else None
            counts.pods_by_owner[str(owners[0]["kind"]) if owners else "none"] += 1
        counts.replicasets = len(items("replicasets"))
        counts.deployments = len(items("deployments"))
        counts.statefulsets = len(items("statefulsets"))
        return counts


# What is tracked through the run, window by window: (group, resource, subresource, verb) the API server counts.
TRACKED = {"replicasets created": ("apps", "replicasets", "", "POST"),
           "deployment statuses": ("apps", "deployments", "status", "PUT"),
           "pods created": ("", "pods", "", "POST"),
           "replicaset statuses": ("apps", "replicasets", "status", "PUT"),
           "events created": ("", "events", "", "POST")}


class RequestRate:
    """kube-controller-manager's requests and limiter waits, and the API server's count of the writes in TRACKED,
    sampled every `interval` seconds during the run (reading the API server's /metrics costs it ~0.1-0.9 s of CPU
    a time, hence not more often)."""

    def __init__(self, plane: ControlPlane, interval: float = 10.0) -> None:
        self.plane = plane
        self.interval = interval
        self.samples: list[tuple[float, dict[str, float]]] = []  # (monotonic time, counts so far)
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def start(self) -> RequestRate:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(60)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                snapshot = Snapshot.take(self.plane)
            except OSError:  # a slow answer: the next sample's window is longer
                self._stop.wait(self.interval)
                continue
            counts = {"requests": snapshot.controller_manager.sum("rest_client_requests_total"),
                      "limiter s": snapshot.controller_manager.sum("rest_client_rate_limiter_duration_seconds_sum")}
            for name, (group, resource, subresource, verb) in TRACKED.items():
                counts[name] = snapshot.apiserver.sum("apiserver_request_total", group=group, resource=resource,
                                                      subresource=subresource, verb=verb)
            self.samples.append((snapshot.at, counts))
            self._stop.wait(self.interval)

    def per_window(self, started: float) -> list[tuple[float, dict[str, float]]]:
        """(seconds after `started` each window ends, what was tracked per second in it)."""
        return [(now - started, {k: (counts[k] - before[k]) / (now - then) for k in counts})
                for (then, before), (now, counts) in zip(self.samples, self.samples[1:], strict=False)]


def _delta(after: Metrics, before: Metrics, metric: str, /, **where: str) -> float:
    return after.sum(metric, **where) - before.sum(metric, **where)


def api_writes(before: Snapshot, after: Snapshot, group: str, resource: str, subresource: str,
               verbs: tuple[str, ...]) -> float:
    return sum(_delta(after.apiserver, before.apiserver, "apiserver_request_total", group=group, resource=resource,
                      subresource=subresource, verb=verb) for verb in verbs)


def conflicts(before: Snapshot, after: Snapshot) -> dict[tuple[str, str], float]:
    """409 answers by verb and resource[/subresource], over every client."""
    counts: dict[tuple[str, str], float] = defaultdict(float)
    for sign, snapshot in ((-1, before), (1, after)):
        for labels, value in snapshot.apiserver.samples.get("apiserver_request_total", []):
            if labels.get("code") == "409":
                resource = labels.get("resource", "") + (f"/{labels['subresource']}" if labels.get("subresource")
                                                         else "")
                counts[(labels.get("verb", ""), resource)] += sign * value
    return dict(counts)


def writes_by_controller(before: Snapshot, after: Snapshot, objects: ObjectCounts) -> dict[str, float]:
    """Each controller's writes: its objects' writes as the API server counted them, the pods it created (by their
    owners), and its Events (their occurrences: each one a create or a patch)."""
    writes: dict[str, float] = {}
    for controller, kinds in WRITES_BY_CONTROLLER.items():
        writes[controller] = (sum(api_writes(before, after, *kind) for kind in kinds)
                              + objects.occurrences.get(controller, 0))
    for owner, controller in POD_OWNERS.items():
        writes[controller] += objects.pods_by_owner.get(owner, 0)
    return writes


def summary(before: Snapshot, after: Snapshot, objects: ObjectCounts, rate: RequestRate, started: float,
            available_s: float, qps: float = QPS, burst: int = BURST) -> list[str]:
    """What kube-controller-manager did between the snapshots; floors at `qps` (burst `burst`) per client."""
    kcm_before, kcm_after = before.controller_manager, after.controller_manager
    methods = {m: kcm_after.by("rest_client_requests_total", "method").get(m, 0.0)
               - kcm_before.by("rest_client_requests_total", "method").get(m, 0.0)
               for m in kcm_after.by("rest_client_requests_total", "method")}
    codes = {c: kcm_after.by("rest_client_requests_total", "code").get(c, 0.0)
             - kcm_before.by("rest_client_requests_total", "code").get(c, 0.0)
             for c in kcm_after.by("rest_client_requests_total", "code")}
    total = sum(methods.values())
    writes = sum(methods.get(m, 0.0) for m in WRITE_METHODS)
    waited = _delta(kcm_after, kcm_before, "rest_client_rate_limiter_duration_seconds_sum")
    waits = _delta(kcm_after, kcm_before, "rest_client_rate_limiter_duration_seconds_count")
    slow = waits - _delta(kcm_after, kcm_before, "rest_client_rate_limiter_duration_seconds_bucket", le="0.25")
    span = after.at - before.at
    lines = [
        f"kube-controller-manager over {span:.1f} s: {total:.0f} requests ({writes:.0f} writes; "
        + ", ".join(f"{m} {v:.0f}" for m, v in sorted(methods.items()) if v)
        + "; codes " + ", ".join(f"{c} {v:.0f}" for c, v in sorted(codes.items()) if v)
        + f"); all clients together {total / span:.1f} requests/s",
        f"  waited on its clients' rate limiters: {waited:.1f} s in all over {waits:.0f} requests "
        f"({waited / waits if waits else 0:.3f} s each; {slow:.0f} waited over 0.25 s)",
        f"  floor if one client sent them all: {total:.0f} / {qps:.0f} = {total / qps:.1f} s (its controllers have "
        "a client each: see below)",
    ]
    by_controller = writes_by_controller(before, after, objects)
    share = objects.pods_by_owner.get("ReplicaSet", 0) / max(sum(objects.pods_by_owner.values()), 1)
    for controller, count in sorted(by_controller.items(), key=lambda kv: -kv[1]):
        if count:
            lines.append(f"  {controller}: ~{count:.0f} writes -> floor ({count:.0f} - {burst}) / {qps:.0f} = "
                         f"{max(count - burst, 0) / qps:.1f} s (all workloads available at {available_s:.1f} s)")
    for queue in QUEUES:
        adds = _delta(kcm_after, kcm_before, "workqueue_adds_total", name=queue)
        queued = _delta(kcm_after, kcm_before, "workqueue_queue_duration_seconds_sum", name=queue)
        gets = _delta(kcm_after, kcm_before, "workqueue_queue_duration_seconds_count", name=queue)
        worked = _delta(kcm_after, kcm_before, "workqueue_work_duration_seconds_sum", name=queue)
        syncs = _delta(kcm_after, kcm_before, "workqueue_work_duration_seconds_count", name=queue)
        lines.append(f"  queue {queue}: {adds:.0f} adds, {syncs:.0f} syncs, queued {queued:.1f} s in all "
                     f"({queued / gets if gets else 0:.2f} s each), syncing {worked:.1f} s in all "
                     f"({worked / syncs if syncs else 0:.3f} s each)")
    api = [(kind, api_writes(before, after, *kind[:3], (kind[3],))) for kind in (
        ("apps", "replicasets", "", "POST"), ("apps", "replicasets", "", "PUT"),
        ("apps", "replicasets", "status", "PUT"), ("apps", "deployments", "", "PUT"),
        ("apps", "deployments", "", "APPLY"), ("apps", "deployments", "", "PATCH"),
        ("apps", "deployments", "status", "PUT"), ("apps", "statefulsets", "status", "PUT"),
        ("apps", "daemonsets", "status", "PUT"), ("apps", "controllerrevisions", "", "POST"),
        ("", "pods", "", "POST"), ("", "pods", "status", "PATCH"), ("", "pods", "binding", "POST"),
        ("", "events", "", "POST"), ("", "events", "", "PATCH"), ("events.k8s.io", "events", "", "POST"),
        ("events.k8s.io", "events", "", "PATCH"), ("discovery.k8s.io", "endpointslices", "", "POST"),
        ("discovery.k8s.io", "endpointslices", "", "PUT"))]
    lines.append("  409 Conflict answers from the API server (every client): " + ", ".join(
        f"{verb} {resource} {count:.0f}" for (verb, resource), count in sorted(conflicts(before, after).items())
        if count))
    lines.append("  the API server's count of writes: " + ", ".join(
        f"{verb} {group + '/' if group else ''}{resource}{'/' + sub if sub else ''} {count:.0f}"
        for (group, resource, sub, verb), count in api if count))
    lines.append(f"  objects after the run: {objects.deployments} Deployments, {objects.replicasets} ReplicaSets, "
                 f"{objects.statefulsets} StatefulSets, pods by owner " + ", ".join(
                     f"{k} {v}" for k, v in objects.pods_by_owner.most_common()))
    lines.append("  Events by reporting component (objects/occurrences): " + ", ".join(
        f"{k} {v}/{objects.occurrences[k]}" for k, v in objects.events.most_common()))
    lines.append("  per second in each window, by its end (s after the apply): kube-controller-manager's requests/"
                 "limiter seconds waited; deployment controller ~ 2 x replicasets created (with their Event) + "
                 "Deployment statuses; replicaset controller ~ 2 x pods created x "
                 f"{share:.2f} (ReplicaSets' share of the pods) + ReplicaSet statuses:")
    for end, per_second in rate.per_window(started):
        deployment = 2 * per_second["replicasets created"] + per_second["deployment statuses"]
        replicaset = 2 * per_second["pods created"] * share + per_second["replicaset statuses"]
        lines.append(f"    {end:.0f} s: {per_second['requests']:.1f}/{per_second['limiter s']:.2f}; deployment "
                     f"{deployment:.1f}, replicaset {replicaset:.1f}")
    return lines
