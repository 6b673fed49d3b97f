"""Steps 6 and 7 of `teamop dev up`: the operator in this process, and the Site turning Ready product by product."""

from __future__ import annotations

import asyncio
import contextlib
import shutil
import signal
import time
from collections.abc import Callable, Mapping
from typing import Any, Literal

from teamop.controllers.kinds import SITE
from teamop.controllers.registry import controller_names
from teamop.dev.progress import Interrupted, Progress, Step
from teamop.dev.summary import condition_line, site_summary
from teamop.dev.up import Environment
from teamop.operator import build_manager, default_arguments
from teamop.runtime.client import Client
from teamop.runtime.errors import NotFound
from teamop.runtime.logging import configure_logging

Outcome = Literal["ready", "stopped", "failed"]
POLL_SECONDS = 0.25


def operate(environment: Environment, progress: Progress, *, timeout: float, exit_when_ready: bool) -> Outcome:
    return asyncio.run(_operate(environment, progress, timeout=timeout, exit_when_ready=exit_when_ready))


class Operator:
    """The manager `teamop run` builds (`teamop.operator.build_manager`: every controller, the built-in
    settings, probes and metrics on loopback ports), its logs in a file."""

    def __init__(self, client: Client) -> None:
        self.client = client
        self.manager = build_manager(client, default_arguments(
            health_probe_bind_address="127.0.0.1:0", metrics_bind_address="127.0.0.1:0", grace_period="10"))
        self.task: asyncio.Task[None] | None = None

    @property
    def started(self) -> bool:
        cache = self.manager.cache
        return bool(cache.informers()) and cache.has_synced and self.manager.reconciling

    def check_alive(self) -> None:
        if self.task is not None and self.task.done():
            error = None if self.task.cancelled() else self.task.exception()
            raise RuntimeError(f"the operator stopped: {error!r}" if error else "the operator stopped")

    @property
    def endpoint(self) -> str:
        host, port = self.manager.http.bound.get("health", ("127.0.0.1", 0))
        return f"http://{host}:{port}"

    async def stop(self) -> None:
        if self.task is not None and not self.task.done():
            self.manager.request_stop()
            with contextlib.suppress(Exception, asyncio.CancelledError):
                await asyncio.wait_for(self.task, 30)
        await self.client.close()


async def _until(check: Callable[[], bool], *, stop: asyncio.Event, operator: Operator | None, timeout: float,
                 what: str) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if stop.is_set():
            raise Interrupted(what)
        if operator is not None:
            operator.check_alive()
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f} s waiting for {what}")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_SECONDS)


async def _operate(environment: Environment, progress: Progress, *, timeout: float,
                   exit_when_ready: bool) -> Outcome:
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for signum in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(signum, stop.set)
    state, manifest = environment.state, environment.manifest
    with state.operator_log.open("a", buffering=1) as log_file:
        configure_logging("console", "info", stream=log_file)
        operator: Operator | None = None
        try:
            with progress.step("operator", "starting every teamop controller in this process (the manager "
                               "`teamop run` builds), waiting for their caches to sync",
                               logs=[state.operator_log]) as step:
                operator = Operator(await Client.from_kubeconfig(str(environment.kubeconfig)))
                operator.task = loop.create_task(operator.manager.run())
                await _until(lambda: operator is not None and operator.started, stop=stop, operator=operator,
                             timeout=60, what="the operator's caches to sync")
                step.done(f"controllers {', '.join(controller_names())}; probes and metrics on {operator.endpoint}")

            with progress.step("Site Ready", f"waiting for {manifest.namespace}/{manifest.name} and each of its "
                               f"products to turn Ready (at most {timeout:.0f} s)",
                               logs=[state.operator_log, *environment.log_dirs]) as step:
                site = await _watch_site(operator, manifest.namespace, manifest.name, step, stop, timeout)
                step.done(f"{manifest.namespace}/{manifest.name} is Ready, {progress.elapsed:.0f} s after "
                          "`teamop dev up` began")
            progress.line()
            for line in await status_lines(operator.client, site):
                progress.line(line)
            progress.line()
            _hints(environment, progress)
            if exit_when_ready:
                progress.line("Exiting (--exit-when-ready): the control plane and PostgreSQL keep running for "
                              "kubectl; `teamop dev down` stops them.")
                return "ready"
            progress.line(f"The operator keeps running (log: {state.operator_log}). Press Ctrl-C to stop it and "
                          "everything `teamop dev up` started.")
            task = operator.task
            assert task is not None
            await asyncio.wait([task, loop.create_task(stop.wait())], return_when=asyncio.FIRST_COMPLETED)
            if not stop.is_set():
                progress.line(f"the operator stopped unexpectedly; read {state.operator_log}")
                return "failed"
            progress.line("stopping the operator")
            return "stopped"
        finally:
            if operator is not None:
                await operator.stop()


async def _watch_site(operator: Operator, namespace: str, name: str, step: Step, stop: asyncio.Event,
                      timeout: float) -> dict[str, Any]:
    """Poll the Site until it is Ready: a line when a product appears, when what it waits for changes, and when
    it turns ready."""
    deadline = time.monotonic() + timeout
    said: dict[str, str] = {}
    ready: set[str] = set()
    site: dict[str, Any] = {}
    while True:
        operator.check_alive()
        with contextlib.suppress(NotFound):
            site = await operator.client.get(SITE, name, namespace)
        status: Mapping[str, Any] = site.get("status") or {}
        products: Mapping[str, Any] = status.get("products") or {}
        for product, info in sorted(products.items()):
            if info.get("ready") and product not in ready:
                ready.add(product)
                replicas = (f"{info.get('readyReplicas') or 0}/{info['desiredReplicas']} pods, "
                            if info.get("desiredReplicas") is not None else "")
                step.note(f"{step.progress.ok_mark} {product} ready ({replicas}{step.elapsed:.1f} s)")
            elif not info.get("ready"):
                waiting = info.get("message") or "not ready yet"
                if said.get(product) != waiting:
                    said[product] = waiting
                    step.note(f"{step.progress.wait_mark} {product}: {waiting}")
        if status.get("ready") is True:
            return site
        if not products:
            for condition in status.get("conditions") or []:
                if condition.get("type") == "Ready" and condition.get("status") != "True":
                    text = condition_line(condition)
                    if said.get("") != text:
                        said[""] = text
                        step.note(f"Site: {text}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"the Site was not Ready after {timeout:.0f} s:\n" + "\n".join(site_summary(site)))
        if stop.is_set():
            raise Interrupted("Site Ready")
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), POLL_SECONDS)


async def status_lines(client: Client, site: dict[str, Any]) -> list[str]:
    """The tree `teamop status` prints; the compact summary should that fail."""
    try:
        from teamop.cli_status import read_namespace
        from teamop.status_tree import format_tree, site_tree

        objects = await read_namespace(client, site["metadata"]["namespace"])
        return format_tree(site_tree(site, objects)).splitlines()
    except Exception:
        return site_summary(site)


def _hints(environment: Environment, progress: Progress) -> None:
    kubeconfig = environment.kubeconfig
    namespace = environment.manifest.namespace
    progress.line(f"kubeconfig: {kubeconfig}")
    progress.line(f"  export KUBECONFIG={kubeconfig}")
    if shutil.which("kubectl") is None:
        progress.line(f"  export PATH={environment.bin_dir}:$PATH   # kubectl, built with the control plane")
    progress.line(f"  kubectl get sites,deployments,statefulsets,pods -n {namespace}")
    progress.line(f"  teamop status -n {namespace}")
