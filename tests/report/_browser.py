"""A small Chrome DevTools Protocol client over Chromium's --remote-debugging-pipe.

Debian's chromium, no driver, no browser download, no Python dependency: Chromium reads
NUL-terminated JSON commands on fd 3 and writes replies and events on fd 4. Enough of the
protocol to open pages at a given viewport, collect console errors (CSP violations and
failed loads included), evaluate JavaScript and take screenshots.
"""

from __future__ import annotations

import base64
import contextlib
import json
import os
import select
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

CHROMIUM = (
    shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
)


class BrowserError(RuntimeError):
    pass


class Browser:
    """One headless Chromium for a whole test module (start-up is the expensive part)."""

    def __init__(self, profile: Path, timeout_s: float = 60.0) -> None:
        assert CHROMIUM, "chromium is not installed"
        self.timeout_s = timeout_s
        to_child_r, self._to_child = os.pipe()
        self._from_child, from_child_w = os.pipe()

        def remap() -> None:  # in the child: the pipe ends become fds 3 and 4
            # via fresh numbers first, so neither end is overwritten by the other's dup2
            r, w = os.dup(to_child_r), os.dup(from_child_w)
            os.dup2(r, 3)
            os.dup2(w, 4)
            os.set_inheritable(3, True)
            os.set_inheritable(4, True)

        self.proc = subprocess.Popen(
            [
                CHROMIUM,
                "--headless",
                "--remote-debugging-pipe",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-dev-shm-usage",
                "--no-first-run",
                "--no-default-browser-check",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-extensions",
                "--hide-scrollbars",
                "--mute-audio",
                f"--user-data-dir={profile}",
                "about:blank",
            ],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            preexec_fn=remap,
            pass_fds=(3, 4),  # kept open across exec (closing happens after remap)
        )
        os.close(to_child_r)
        os.close(from_child_w)
        self._buf = b""
        self._next_id = 0
        self.events: list[dict[str, Any]] = []

    # -- protocol --------------------------------------------------------------------------
    def _read_message(self, deadline: float) -> dict[str, Any]:
        while b"\0" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise BrowserError("timed out waiting for Chromium")
            ready, _, _ = select.select([self._from_child], [], [], left)
            if ready:
                chunk = os.read(self._from_child, 1 << 20)
                if not chunk:
                    raise BrowserError("Chromium closed the pipe")
                self._buf += chunk
        raw, self._buf = self._buf.split(b"\0", 1)
        return json.loads(raw)

    def send(
        self, method: str, params: dict[str, Any] | None = None, session: str | None = None
    ) -> Any:
        self._next_id += 1
        msg: dict[str, Any] = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            msg["sessionId"] = session
        os.write(self._to_child, json.dumps(msg).encode() + b"\0")
        deadline = time.monotonic() + self.timeout_s
        while True:
            reply = self._read_message(deadline)
            if reply.get("id") == self._next_id:
                if "error" in reply:
                    raise BrowserError(f"{method}: {reply['error']}")
                return reply.get("result", {})
            self.events.append(reply)

    def wait_for(self, method: str, session: str, since: int) -> dict[str, Any]:
        deadline = time.monotonic() + self.timeout_s
        i = since
        while True:
            while i < len(self.events):
                e = self.events[i]
                i += 1
                if e.get("method") == method and e.get("sessionId") == session:
                    return e
            self.events.append(self._read_message(deadline))

    def page(self, width: int, height: int, *, mobile: bool = False) -> Page:
        target = self.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        session = self.send("Target.attachToTarget", {"targetId": target, "flatten": True})[
            "sessionId"
        ]
        for domain in ("Page", "Runtime", "Log"):
            self.send(f"{domain}.enable", session=session)
        self.send(
            "Emulation.setDeviceMetricsOverride",
            {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": mobile},
            session=session,
        )
        return Page(self, session, target, width, height)

    def close(self) -> None:
        with contextlib.suppress(BrowserError):
            self.send("Browser.close")
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait(timeout=20)
        for fd in (self._to_child, self._from_child):
            with contextlib.suppress(OSError):
                os.close(fd)


class Page:
    def __init__(
        self, browser: Browser, session: str, target: str, width: int, height: int
    ) -> None:
        self.b = browser
        self.session = session
        self.target = target
        self.width = width
        self.height = height
        self._since = 0

    def open(self, url: str) -> None:
        self._since = len(self.b.events)
        self.b.send("Page.navigate", {"url": url}, session=self.session)
        self.b.wait_for("Page.loadEventFired", self.session, self._since)

    def eval(self, expression: str) -> Any:
        result = self.b.send(
            "Runtime.evaluate",
            {"expression": expression, "returnByValue": True, "awaitPromise": True},
            session=self.session,
        )
        if "exceptionDetails" in result:
            raise BrowserError(f"{expression[:60]}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def console_errors(self) -> list[str]:
        """Errors since the last open(): console.error, uncaught exceptions, CSP, failed loads."""
        out = []
        for e in self.b.events[self._since :]:
            if e.get("sessionId") != self.session:
                continue
            p = e.get("params", {})
            m = e.get("method")
            if m == "Runtime.consoleAPICalled" and p.get("type") in ("error", "assert"):
                out.append(" ".join(str(a.get("value", a.get("description"))) for a in p["args"]))
            elif m == "Runtime.exceptionThrown":
                out.append(str(p["exceptionDetails"].get("text")))
            elif m == "Log.entryAdded" and p["entry"].get("level") == "error":
                out.append(
                    f"{p['entry'].get('source')}: {p['entry'].get('text')} {p['entry'].get('url', '')}"
                )
        return out

    def screenshot(self, path: Path, *, full_page: bool = False) -> None:
        params: dict[str, Any] = {"format": "png"}
        if full_page:
            h = int(self.eval("document.documentElement.scrollHeight"))
            params["clip"] = {
                "x": 0,
                "y": 0,
                "width": self.width,
                "height": min(h, 8000),
                "scale": 1,
            }
            params["captureBeyondViewport"] = True
        data = self.b.send("Page.captureScreenshot", params, session=self.session)["data"]
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(base64.b64decode(data))

    def close(self) -> None:
        self.b.send("Target.closeTarget", {"targetId": self.target})
