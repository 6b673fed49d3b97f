"""`teamop flightdeck serve`: settings from the environment, the Site followed in the API, the page on :8080,
and a graceful stop on SIGTERM."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

import structlog
from aiohttp import web
from kubernetes_asyncio import client as k8s
from kubernetes_asyncio import config as k8s_config

from teamop.flightdeck.app import AccessLogger, build_app
from teamop.flightdeck.logs import configure_logging
from teamop.flightdeck.settings import Settings, SettingsError, argument_parser, settings_from
from teamop.flightdeck.site_source import KubernetesSiteSource, SiteSource

SHUTDOWN_SECONDS = 10.0
"""How long in-flight requests may take to finish after SIGTERM (the pod's grace period is 30 s)."""

log = structlog.get_logger("teamop.flightdeck")


async def open_api_client(kubeconfig: str | None) -> k8s.ApiClient:
    """The pod's ServiceAccount, or a kubeconfig for local runs and tests."""
    configuration = k8s.Configuration()
    if kubeconfig:
        await k8s_config.load_kube_config(config_file=kubeconfig, client_configuration=configuration)
    else:
        k8s_config.load_incluster_config(client_configuration=configuration)  # type: ignore[no-untyped-call]
    return k8s.ApiClient(configuration=configuration)


@asynccontextmanager
async def serving(settings: Settings, source: SiteSource) -> AsyncIterator[int]:
    """The web server on `settings.host:settings.port` (port 0 picks a free one) over `source`; yields the port.
    The source is not started or closed here."""
    runner = web.AppRunner(
        build_app(settings, source), access_log_class=AccessLogger, shutdown_timeout=SHUTDOWN_SECONDS,
        handle_signals=False,
    )
    await runner.setup()
    try:
        await web.TCPSite(runner, settings.host, settings.port).start()
        yield int(runner.addresses[0][1])
    finally:
        await runner.cleanup()


@asynccontextmanager
async def following_site(settings: Settings) -> AsyncIterator[KubernetesSiteSource]:
    api_client = await open_api_client(settings.kubeconfig)
    try:
        source = KubernetesSiteSource(api_client, settings.namespace, settings.site_name)
        await source.start()
        try:
            yield source
        finally:
            await source.close()
    finally:
        await api_client.close()


async def serve(settings: Settings) -> None:
    """Run until SIGTERM or SIGINT."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signum, stop.set)
    async with following_site(settings) as source, serving(settings, source) as port:
        log.info(
            "flightdeck serving", site=settings.site_name, namespace=settings.namespace, port=port,
            show_config=settings.show_config, show_academy=settings.show_academy,
        )
        await stop.wait()
        log.info("stopping: finishing in-flight requests", timeout_seconds=SHUTDOWN_SECONDS)
    log.info("stopped")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of `teamop flightdeck serve` (argv without the command words)."""
    return serve_command(argument_parser().parse_args(list(sys.argv[1:] if argv is None else argv)))


def serve_command(args: argparse.Namespace) -> int:
    """`teamop flightdeck serve` with its flags parsed (`settings.add_arguments`)."""
    try:
        settings = settings_from(args, os.environ)
    except SettingsError as error:
        print(f"teamop flightdeck serve: {error}", file=sys.stderr)
        return 2
    configure_logging(settings.log_format, settings.log_level)
    try:
        asyncio.run(serve(settings))
    except k8s_config.ConfigException as error:
        log.error("no Kubernetes configuration", error=str(error))
        return 1
    return 0
