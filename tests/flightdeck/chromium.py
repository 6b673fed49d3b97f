"""Headless Chromium driven over the DevTools protocol (an aiohttp websocket) — just enough for the page tests."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import fnmatch
import itertools
import json
import shutil
import tempfile
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import aiohttp

FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--remote-debugging-port=0",
]
STARTUP_SECONDS = 30.0
COMMAND_SECONDS = 15.0


def chromium_binary() -> str | None:
    return shutil.which("chromium") or shutil.which("chromium-browser")


class DevToolsError(RuntimeError):
    pass


class Page:
    """One tab, attached with a flat session over the browser's websocket."""

    def __init__(self, browser: Browser, session_id: str) -> None:
        self._browser = browser
        self.session_id = session_id
        self.stubs: dict[str, str] = {}
        """URL pattern (fnmatch) → HTML served instead of going to the network (see `stub`)."""

    async def send(self, method: str, **params: Any) -> dict[str, Any]:
        return await self._browser.send(method, params, session_id=self.session_id)

    async def wait_for(self, method: str, predicate: Callable[[dict[str, Any]], bool] | None = None,
                       timeout: float = COMMAND_SECONDS) -> dict[str, Any]:
        return await self._browser.wait_for(method, self.session_id, predicate, timeout)

    async def goto(self, url: str) -> None:
        loaded = self._browser.expect("Page.loadEventFired", self.session_id)
        result = await self.send("Page.navigate", url=url)
        if result.get("errorText"):
            raise DevToolsError(f"navigating to {url}: {result['errorText']}")
        await asyncio.wait_for(loaded, COMMAND_SECONDS)

    async def evaluate(self, expression: str) -> Any:
        result = await self.send("Runtime.evaluate", expression=expression, returnByValue=True, awaitPromise=True)
        if "exceptionDetails" in result:
            raise DevToolsError(f"{expression!r} threw: {result['exceptionDetails']}")
        return result["result"].get("value")

    async def click(self, selector: str) -> None:
        """A real mouse click in the middle of the element (so it must be visible and on top)."""
        box = await self.evaluate(
            f"(() => {{ const r = document.querySelector({json.dumps(selector)}).getBoundingClientRect();"
            " return {x: r.left + r.width / 2, y: r.top + r.height / 2}; })()"
        )
        for kind in ("mousePressed", "mouseReleased"):
            await self.send("Input.dispatchMouseEvent", type=kind, x=box["x"], y=box["y"], button="left", clickCount=1)

    async def press_tab(self) -> None:
        for kind in ("rawKeyDown", "keyUp"):
            await self.send("Input.dispatchKeyEvent", type=kind, key="Tab", code="Tab", windowsVirtualKeyCode=9)

    async def close(self) -> None:
        await self.send("Page.close")

    async def screenshot(self, path: Path) -> Path:
        data = await self.send("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        await asyncio.to_thread(_write, path, base64.b64decode(data["data"]))
        return path

    async def stub(self, pattern: str, html: str) -> None:
        """Answer requests matching `pattern` with `html` (the product hosts do not exist in the test)."""
        self.stubs[pattern] = html
        await self.send("Fetch.enable", patterns=[{"urlPattern": p} for p in self.stubs])

    async def _answer_paused(self, event: dict[str, Any]) -> None:
        url = event["request"]["url"]
        for pattern, html in self.stubs.items():
            if fnmatch.fnmatch(url, pattern):
                await self.send(
                    "Fetch.fulfillRequest", requestId=event["requestId"], responseCode=200,
                    responseHeaders=[{"name": "Content-Type", "value": "text/html; charset=utf-8"}],
                    body=base64.b64encode(html.encode()).decode(),
                )
                return
        await self.send("Fetch.continueRequest", requestId=event["requestId"])


class Browser:
    def __init__(self, websocket: aiohttp.ClientWebSocketResponse) -> None:
        self._ws = websocket
        self._ids = itertools.count(1)
        self._pending: dict[int, asyncio.Future[dict[str, Any]]] = {}
        self._waiters: list[tuple[str, str | None, Callable[[dict[str, Any]], bool] | None,
                                  asyncio.Future[dict[str, Any]]]] = []
        self._pages: dict[str, Page] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        self._reader = asyncio.create_task(self._read())

    async def send(self, method: str, params: dict[str, Any] | None = None, *,
                   session_id: str | None = None) -> dict[str, Any]:
        message_id = next(self._ids)
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._pending[message_id] = future
        message: dict[str, Any] = {"id": message_id, "method": method, "params": params or {}}
        if session_id:
            message["sessionId"] = session_id
        await self._ws.send_str(json.dumps(message))
        return await asyncio.wait_for(future, COMMAND_SECONDS)

    def expect(self, method: str, session_id: str | None,
               predicate: Callable[[dict[str, Any]], bool] | None = None) -> asyncio.Future[dict[str, Any]]:
        """A future for the next event `method` — register it before the action that causes the event."""
        future: asyncio.Future[dict[str, Any]] = asyncio.get_running_loop().create_future()
        self._waiters.append((method, session_id, predicate, future))
        return future

    async def wait_for(self, method: str, session_id: str | None,
                       predicate: Callable[[dict[str, Any]], bool] | None, timeout: float) -> dict[str, Any]:
        return await asyncio.wait_for(self.expect(method, session_id, predicate), timeout)

    async def new_page(self, width: int = 1280, height: int = 800) -> Page:
        target = await self.send("Target.createTarget", {"url": "about:blank"})
        attached = await self.send("Target.attachToTarget", {"targetId": target["targetId"], "flatten": True})
        page = Page(self, attached["sessionId"])
        self._pages[page.session_id] = page
        await page.send("Page.enable")
        await page.send("Runtime.enable")
        await page.send("Emulation.setDeviceMetricsOverride", width=width, height=height, deviceScaleFactor=1,
                        mobile=False)
        return page

    async def _read(self) -> None:
        async for message in self._ws:
            if message.type != aiohttp.WSMsgType.TEXT:
                continue
            data = json.loads(message.data)
            if "id" in data:
                future = self._pending.pop(data["id"], None)
                if future is not None and not future.done():
                    if "error" in data:
                        future.set_exception(DevToolsError(str(data["error"])))
                    else:
                        future.set_result(data.get("result", {}))
                continue
            self._dispatch(data)

    def _dispatch(self, event: dict[str, Any]) -> None:
        method, session_id, params = event.get("method"), event.get("sessionId"), event.get("params", {})
        if method == "Fetch.requestPaused" and session_id in self._pages:
            task = asyncio.create_task(self._pages[session_id]._answer_paused(params))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        for waiter in list(self._waiters):
            wanted, wanted_session, predicate, future = waiter
            if future.done():
                self._waiters.remove(waiter)
            elif wanted == method and wanted_session in (None, session_id) and (predicate is None or predicate(params)):
                future.set_result(params)
                self._waiters.remove(waiter)

    async def close(self) -> None:
        self._reader.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._reader
        await self._ws.close()


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text().splitlines()
    except FileNotFoundError:
        return []


def _write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


async def _devtools_url(profile: Path, process: asyncio.subprocess.Process) -> str:
    """Chromium writes its chosen port and browser path to DevToolsActivePort in the profile directory."""
    active_port = profile / "DevToolsActivePort"
    deadline = asyncio.get_running_loop().time() + STARTUP_SECONDS
    while asyncio.get_running_loop().time() < deadline:
        if process.returncode is not None:
            raise DevToolsError(f"chromium exited with {process.returncode}")
        lines = await asyncio.to_thread(_read_lines, active_port)
        if len(lines) >= 2:
            return f"ws://127.0.0.1:{lines[0]}{lines[1]}"
        await asyncio.sleep(0.1)
    raise DevToolsError("chromium did not open its DevTools port")


@contextlib.asynccontextmanager
async def chromium(binary: str, log_path: Path) -> AsyncIterator[Browser]:
    """Start headless Chromium with a throwaway profile; its output goes to `log_path`."""
    # Chromium's helper processes may still write into the profile for a moment after the browser exits.
    with tempfile.TemporaryDirectory(prefix="flightdeck-chromium-", ignore_cleanup_errors=True) as profile:
        log_path.parent.mkdir(parents=True, exist_ok=True)
        with log_path.open("wb") as log:
            process = await asyncio.create_subprocess_exec(
                binary, *FLAGS, f"--user-data-dir={profile}", "about:blank", stdout=log, stderr=log,
            )
            try:
                url = await _devtools_url(Path(profile), process)
                async with aiohttp.ClientSession() as session, session.ws_connect(url, max_msg_size=0) as websocket:
                    browser = Browser(websocket)
                    try:
                        yield browser
                    finally:
                        await browser.close()
            finally:
                if process.returncode is None:
                    process.terminate()
                    try:
                        await asyncio.wait_for(process.wait(), 10)
                    except TimeoutError:
                        process.kill()
                        await process.wait()
