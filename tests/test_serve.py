"""`assistant serve` keeps a library open: other commands use its vector store over the socket,
and SIGTERM or Ctrl-C stop it cleanly, handing the library back."""

from __future__ import annotations

import gc
import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from assistant.api import Assistant

TESTS = Path(__file__).resolve().parent


def run(env: dict[str, str], *argv: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "assistant.cli", *argv],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT], ids=["sigterm", "ctrl-c"])
def test_serve_answers_for_other_commands_and_stops_cleanly(tmp_path: Path, stop: int) -> None:
    env = {
        **os.environ,
        "ASSISTANT_HOME": str(tmp_path / "home"),
        "ASSISTANT_PLUGINS": "hash_plugin",
        "ASSISTANT_EMBEDDER": "hash",
        "PYTHONPATH": os.pathsep.join([str(TESTS.parent), str(TESTS)]),
    }
    news = tmp_path / "news"
    news.mkdir()
    (news / "harbour.txt").write_text(
        "Harbour reopens\n\nThe harbour reopened on Monday after the storm, the port said.",
        encoding="utf-8",
    )
    assert run(env, "ingest", str(news), "--quiet").returncode == 0
    serve = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "serve"],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    guard = threading.Timer(120, serve.kill)  # never hang the suite
    guard.start()
    try:
        assert serve.stdout is not None
        first = serve.stdout.readline()
        assert first.startswith("serving library 'default' (1 articles, 1 chunks)"), first
        asked = run(env, "ask", "When did the harbour reopen?", "--json")
        assert asked.returncode == 0, asked.stderr
        assert "reopened on Monday" in asked.stdout
        assert (tmp_path / "home" / "chroma.sock").exists()  # the served store's socket
        serve.send_signal(stop)
        _, err = serve.communicate(timeout=60)
    finally:
        guard.cancel()
        if serve.poll() is None:
            serve.kill()
    assert serve.returncode == 0, err
    assert "Traceback" not in err
    assert not (tmp_path / "home" / "chroma.sock").exists()
    again = run(env, "ask", "When did the harbour reopen?")  # the library is free again
    assert again.returncode == 0 and "reopened on Monday" in again.stdout


def test_a_long_running_warm_up_freezes_what_it_loaded(fake_assistant: Assistant) -> None:
    """`warm_up(freeze=True)` (serve, ui) moves what is loaded out of the garbage collector's
    full passes; a plain warm-up, as any API caller's, leaves the collector alone."""
    fake_assistant.ingest_text("The harbour reopened on Monday.", title="Harbour")
    before = gc.get_freeze_count()
    fake_assistant.warm_up()
    assert gc.get_freeze_count() == before
    assert fake_assistant.library().exact._loaded is not None  # a small library's vectors
    try:
        assert fake_assistant.warm_up(freeze=True) == (1, 1)
        assert gc.get_freeze_count() > before + 1000  # modules, classes, the library's objects
    finally:
        gc.unfreeze()
