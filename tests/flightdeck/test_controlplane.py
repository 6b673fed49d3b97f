"""The server against the real API server: it follows its Site live, shows a stale page while the API is away,
and the renderer's Role lets it read Sites and nothing else."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import aiohttp
import pytest
import yaml

from teamop.api.v1beta1.flightdeck import FlightdeckSpec
from teamop.flightdeck.server import following_site, serving
from teamop.flightdeck.settings import Settings
from teamop.products.context import RenderContext
from teamop.products.flightdeck import render
from teamop.testing.controlplane import ControlPlane

from .html_parse import PageStructure, parse_page
from .sites import site
from .tcp_proxy import CuttableProxy

pytestmark = pytest.mark.controlplane

WAIT_SECONDS = 30.0


def server_settings(namespace: str, kubeconfig: Path, name: str = "orbit") -> Settings:
    return Settings(site_name=name, namespace=namespace, kubeconfig=str(kubeconfig), host="127.0.0.1", port=0)


def apply(controlplane: ControlPlane, *objects: dict[str, Any]) -> None:
    controlplane.kubectl("apply", "--server-side", "-f", "-", input="\n---\n".join(yaml.safe_dump(o) for o in objects))


@asynccontextmanager
async def flightdeck(settings: Settings) -> AsyncIterator[Callable[[], Awaitable[PageStructure]]]:
    """The server run in-process, following the Site in the API; yields a function fetching the home page."""
    async with following_site(settings) as source, serving(settings, source) as port, aiohttp.ClientSession() as http:

        async def home() -> PageStructure:
            async with http.get(f"http://127.0.0.1:{port}/") as response:
                assert response.status == 200
                return parse_page(await response.text())

        yield home


async def eventually(check: Callable[[], Awaitable[bool]], what: str, timeout: float = WAIT_SECONDS) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not await check():
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        await asyncio.sleep(0.2)


def products(page: PageStructure) -> list[str]:
    return [card.product for card in page.cards]


async def test_the_page_follows_the_site_without_a_restart(controlplane: ControlPlane, namespace: str) -> None:
    async with flightdeck(server_settings(namespace, controlplane.kubeconfig)) as home:
        await eventually(lambda: _has_text(home, "Site not found"), "the page says the Site does not exist yet")

        apply(controlplane, site(name="orbit", namespace=namespace))
        await eventually(
            lambda: _products_are(home, ["workbench", "connect", "packagemanager"]), "three cards once the Site exists"
        )

        patch = json.dumps([{"op": "remove", "path": "/spec/workbench"}])
        controlplane.kubectl("patch", "site", "orbit", "-n", namespace, "--type=json", "-p", patch)
        await eventually(lambda: _products_are(home, ["connect", "packagemanager"]), "the Workbench card goes away")

        controlplane.kubectl("delete", "site", "orbit", "-n", namespace)
        await eventually(lambda: _has_text(home, "Site not found"), "the page notices the Site is gone")


async def test_a_stale_page_while_the_api_is_unreachable(controlplane: ControlPlane, namespace: str,
                                                         tmp_path: Path) -> None:
    apiserver = urlsplit(controlplane.server)
    proxy = CuttableProxy(apiserver.hostname or "127.0.0.1", apiserver.port or 443)
    port = await proxy.open()
    config = yaml.safe_load(controlplane.kubeconfig.read_text())
    for cluster in config["clusters"]:
        cluster["cluster"]["server"] = f"https://127.0.0.1:{port}"
    kubeconfig = tmp_path / "kubeconfig-through-proxy"
    kubeconfig.write_text(yaml.safe_dump(config))
    apply(controlplane, site(name="orbit", namespace=namespace))

    try:
        async with flightdeck(server_settings(namespace, kubeconfig)) as home:
            await eventually(lambda: _products_are(home, ["workbench", "connect", "packagemanager"]), "three cards")

            await proxy.cut()
            await eventually(lambda: _is_stale(home, True), "a banner saying the page may be stale")
            page = await home()
            assert products(page) == ["workbench", "connect", "packagemanager"], "the last known cards stay"

            patch = json.dumps([{"op": "remove", "path": "/spec/connect"}])
            controlplane.kubectl("patch", "site", "orbit", "-n", namespace, "--type=json", "-p", patch)
            await proxy.open()
            await eventually(lambda: _is_stale(home, False), "the banner goes once the API answers again")
            await eventually(lambda: _products_are(home, ["workbench", "packagemanager"]), "the change made meanwhile")
    finally:
        await proxy.cut()


async def test_the_renderers_service_account_reads_its_site_and_no_secret(
    controlplane: ControlPlane, namespace: str, tmp_path: Path
) -> None:
    rendered = render(FlightdeckSpec(site_name="orbit", domain="example.test"), RenderContext("orbit", namespace))
    apply(controlplane, *(o for o in rendered.objects if o["kind"] in ("ServiceAccount", "Role", "RoleBinding")))
    apply(controlplane, site(name="orbit", namespace=namespace))
    controlplane.kubectl("create", "secret", "generic", "orbit-secrets", "-n", namespace, "--from-literal=k=v")
    account = f"system:serviceaccount:{namespace}:orbit-flightdeck"

    def can(verb: str, resource: str) -> bool:
        result = controlplane.kubectl("auth", "can-i", verb, resource, "-n", namespace, f"--as={account}", check=False)
        return result.stdout.strip() == "yes"

    assert [can(verb, "sites.core.posit.team") for verb in ("get", "list", "watch")] == [True, True, True]
    assert not can("update", "sites.core.posit.team")
    assert not can("delete", "sites.core.posit.team")
    for verb in ("get", "list", "watch"):
        assert not can(verb, "secrets"), f"{verb} secrets"
    assert not can("get", "configmaps")

    # And the server itself, holding only that ServiceAccount's token, follows its Site.
    token = controlplane.kubectl("create", "token", "orbit-flightdeck", "-n", namespace).stdout.strip()
    config = yaml.safe_load(controlplane.kubeconfig.read_text())
    for user in config["users"]:
        user["user"] = {"token": token}
    kubeconfig = tmp_path / "kubeconfig-as-flightdeck"
    kubeconfig.write_text(yaml.safe_dump(config))
    async with flightdeck(server_settings(namespace, kubeconfig)) as home:
        await eventually(
            lambda: _products_are(home, ["workbench", "connect", "packagemanager"]), "the page, as the ServiceAccount"
        )


async def test_the_command_serves_logs_and_stops_on_sigterm(controlplane: ControlPlane, namespace: str) -> None:
    apply(controlplane, site(["connect"], name="orbit", namespace=namespace))
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    env = {**os.environ, "SITE_NAME": "orbit", "SHOW_CONFIG": "true", "SHOW_ACADEMY": "false",
           "LOG_LEVEL": "debug", "LOG_FORMAT": "json"}
    process = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "teamop.cli", "flightdeck", "serve", "--kubeconfig", str(controlplane.kubeconfig),
        "--namespace", namespace, "--host", "127.0.0.1", "--port", str(port),
        env=env, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
    )
    try:
        async with aiohttp.ClientSession() as http:

            async def shows_connect() -> bool:
                try:
                    async with http.get(f"http://127.0.0.1:{port}/", headers={"User-Agent": "kube-probe/1.34"}) as r:
                        return products(parse_page(await r.text())) == ["connect"]
                except aiohttp.ClientConnectionError:
                    return False

            await eventually(shows_connect, "the command serves the Site's page")
            async with http.get(f"http://127.0.0.1:{port}/config") as response:
                assert response.status == 200
        process.send_signal(signal.SIGTERM)
        _, stderr = await asyncio.wait_for(process.communicate(), 20)
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()
    assert process.returncode == 0, stderr.decode()
    events = [json.loads(line) for line in stderr.decode().splitlines() if line.startswith("{")]
    access = [e for e in events if e.get("event") == "request"]
    assert {"method": "GET", "path": "/config", "status": 200, "level": "info"}.items() <= next(
        e for e in access if e["path"] == "/config"
    ).items()
    assert any(e["path"] == "/" and e["level"] == "debug" for e in access), "probes are logged at debug level"
    assert [e["event"] for e in events if e["event"] in ("flightdeck serving", "stopped")] == [
        "flightdeck serving", "stopped",
    ]


async def _products_are(home: Callable[[], Awaitable[PageStructure]], expected: list[str]) -> bool:
    return products(await home()) == expected


async def _has_text(home: Callable[[], Awaitable[PageStructure]], text: str) -> bool:
    return text in (await home()).text


async def _is_stale(home: Callable[[], Awaitable[PageStructure]], stale: bool) -> bool:
    return bool((await home()).banners) is stale
