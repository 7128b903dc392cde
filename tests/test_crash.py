"""Crash safety: SIGKILL an ingest mid-batch, run it again, and the library is consistent."""

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from assistant.api import Assistant
from assistant.config import Settings
from assistant.embeddings import OnnxEmbedder
from assistant.store.sqlite_catalog import fts_table

N_ARTICLES = 240
TOPICS = ["heating", "trade", "football", "elections", "rain", "markets", "science", "films"]


def make_batch(folder: Path) -> None:
    folder.mkdir()
    for i in range(N_ARTICLES):
        topic = TOPICS[i % len(TOPICS)]
        text = (
            f"Report {i} on {topic}\n\n"
            f"Officials in district {i} said the {topic} situation changed on day {i % 28 + 1}. "
            f"Residents described what happened to {topic} number {i} in detail.\n\n"
            f"A second paragraph of story {i} adds figures: {i * 7} people and {i * 3} homes."
        )
        (folder / f"story-{i:03d}.txt").write_text(text, encoding="utf-8")


def articles_in(home: Path) -> int:
    path = home / "catalog.sqlite3"
    if not path.exists():
        return 0
    try:
        with sqlite3.connect(path, timeout=1) as db:
            return int(db.execute("SELECT COUNT(*) FROM articles").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def consistent(assistant: Assistant) -> None:
    library = assistant.library()
    owned = library.catalog.chunk_ids(library.name)
    stored = library.store.ids()
    claimed = {c for ids in owned.values() for c in ids}
    assert claimed == stored, "catalog and vector store disagree"
    assert all(owned.values()), "an article without chunks"
    assert {c.id for c in library.catalog.iter_chunks(library.name)} == stored
    assert library.catalog.intents(library.name) == []
    with sqlite3.connect(library.catalog.path) as db:  # type: ignore[attr-defined]
        table = fts_table(library.name)
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] == len(stored)


def test_sigkill_mid_ingest_then_rerun(tmp_path: Path, onnx_embedder: OnnxEmbedder) -> None:
    folder = tmp_path / "batch"
    make_batch(folder)
    crashed_home = tmp_path / "crashed"
    env = {**os.environ, "ASSISTANT_HOME": str(crashed_home), "ASSISTANT_FLUSH_CHUNKS": "16"}
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "ingest", str(folder), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    while articles_in(crashed_home) < 40:
        assert process.poll() is None, "ingest finished before it could be killed"
        assert time.monotonic() < deadline, "ingest made no progress"
        time.sleep(0.05)
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = articles_in(crashed_home)
    assert 0 < done_before < N_ARTICLES

    settings = Settings(home=crashed_home, _env_file=None)  # type: ignore[call-arg]
    again = Assistant(settings, embedder=onnx_embedder)
    report = again.ingest(folder)
    assert report.ok
    assert report.count("added") + report.count("unchanged") == N_ARTICLES
    assert report.count("unchanged") >= done_before - 1
    consistent(again)

    clean_settings = Settings(home=tmp_path / "clean", _env_file=None)  # type: ignore[call-arg]
    clean = Assistant(clean_settings, embedder=onnx_embedder)
    assert clean.ingest(folder).count("added") == N_ARTICLES
    crashed_lib, clean_lib = again.library(), clean.library()
    assert crashed_lib.catalog.chunk_ids(crashed_lib.name) == clean_lib.catalog.chunk_ids(
        clean_lib.name
    )
    assert crashed_lib.stats() == clean_lib.stats()
