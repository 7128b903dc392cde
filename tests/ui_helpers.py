"""Helpers shared by the browser tests (test_ui_browser.py, test_ui_security.py): `assistant ui`
in a subprocess on 127.0.0.1, Debian's headless Chromium through Playwright, and a browser
session on the app that asks questions and waits for the rendered answers."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import pytest

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless=new",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
]
START_TIMEOUT = 240.0  # a cold start ingests the samples with the ONNX embedder on 2 cores
ANSWER_TIMEOUT = 90_000  # ms


@contextmanager
def open_browser() -> Iterator[object]:
    """Debian's Chromium, headless, through Playwright; a clear failure when either is missing."""
    if not CHROMIUM.exists():
        pytest.fail(
            f"the browser tests need Chromium at {CHROMIUM}: run "
            "`apt-get install -y chromium` (as root), then run the tests again",
            pytrace=False,
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.fail("the browser tests need playwright: `pip install -e '.[dev]'`", pytrace=False)
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield browser
        browser.close()


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class App:
    """`assistant ui` in a subprocess, with its output kept for error messages."""

    def __init__(self, home: Path, *args: str, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        clean = {
            k: v
            for k, v in os.environ.items()
            if not k.startswith(("OPENAI_", "ASSISTANT_", "GRADIO_"))
        }
        self.process = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "ui", "--port", str(self.port), *args],
            env={**clean, "ASSISTANT_HOME": str(home), **(env or {})},
            cwd=home,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        self.ready = threading.Event()
        threading.Thread(target=self._read, daemon=True).start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line)
            if "UI on http://" in line:
                self.ready.set()

    def wait(self) -> App:
        deadline = time.monotonic() + START_TIMEOUT
        while not self.ready.wait(0.2):
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                pytest.fail(f"`assistant ui` did not start:\n{''.join(self.lines)}")
        return self

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()


class Session:
    """One browser context on the app, recording every request it makes; with `credentials`
    (user, password) the browser answers the app's HTTP Basic challenge with them."""

    def __init__(
        self, browser: object, app: App, credentials: tuple[str, str] | None = None
    ) -> None:
        options: dict[str, object] = {"viewport": {"width": 1400, "height": 950}}
        if credentials is not None:
            options["http_credentials"] = {"username": credentials[0], "password": credentials[1]}
        self.context = browser.new_context(**options)  # type: ignore[attr-defined]
        self.requests: list[str] = []
        self.context.on("request", lambda request: self.requests.append(request.url))
        self.page = self.context.new_page()
        self.page.set_default_timeout(60_000)  # 2 shared cores: be patient, never sleep
        self.page.on("dialog", lambda dialog: dialog.accept())
        self.page.goto(app.url)
        self.page.wait_for_selector("#question textarea")
        self.app = app

    def submit(self, question: str) -> None:
        box = self.page.locator("#question textarea")
        box.fill(question)
        box.press("Enter")

    def wait_answers(self, count: int) -> str:
        """Wait until the chat holds `count` finished answers; the last one's text."""
        self.page.wait_for_function(
            """(n) => {
                const bots = document.querySelectorAll('#chat [data-testid="bot"]');
                if (bots.length !== n) return false;
                const last = bots[n - 1].innerText;
                return !last.includes('Searching the articles')
                    && !last.includes('Summarizing the articles') && !last.includes('▌');
            }""",
            arg=count,
            timeout=ANSWER_TIMEOUT,
        )
        return self.bots()[-1]

    def ask(self, question: str) -> str:
        count = len(self.bots()) + 1
        self.submit(question)
        return self.wait_answers(count)

    def bots(self) -> list[str]:
        return self.page.locator('#chat [data-testid="bot"]').all_inner_texts()

    def users(self) -> list[str]:
        return self.page.locator('#chat [data-testid="user"]').all_inner_texts()

    def watch_last_answer(self) -> None:
        """Record every text the newest answer bubble shows, to see it stream."""
        self.page.evaluate(
            """() => {
                window.__seen = [];
                const chat = document.querySelector('#chat');
                new MutationObserver(() => {
                    const bots = chat.querySelectorAll('[data-testid="bot"]');
                    if (bots.length) window.__seen.push(bots[bots.length - 1].innerText);
                }).observe(chat, {subtree: true, childList: true, characterData: true});
            }"""
        )

    def seen(self) -> list[str]:
        seen: list[str] = self.page.evaluate("window.__seen")
        return seen

    def tab(self, name: str) -> None:
        self.page.get_by_role("tab", name=name).click()

    def screenshot(self, name: str) -> Path:
        ARTIFACTS.mkdir(exist_ok=True)
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def foreign_requests(self) -> list[str]:
        """Requests to anywhere but the app itself."""
        return [
            url
            for url in self.requests
            if urlparse(url).scheme not in ("data", "blob")
            and urlparse(url).netloc != f"127.0.0.1:{self.app.port}"
        ]

    def close(self) -> None:
        self.context.close()
