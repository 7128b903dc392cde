"""Crash safety: SIGKILL an ingest mid-batch, run it again, and the library is consistent."""

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

from fakes import HashEmbedder
from servers import Postgres

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


def server_rows(database_url: str, table: str = "articles") -> int:
    import psycopg

    try:
        with psycopg.connect(database_url, connect_timeout=2) as conn:
            row = conn.execute(f"SELECT COUNT(*) FROM {table}").fetchone()
            return int(row[0]) if row else 0
    except psycopg.Error:  # the tables are not there yet
        return 0


def server_consistent(assistant: Assistant) -> None:
    library = assistant.library()
    owned = library.catalog.chunk_ids(library.name)
    stored = library.store.ids()
    assert {c for ids in owned.values() for c in ids} == stored, "catalog and vectors disagree"
    assert all(owned.values()), "an article without chunks"
    assert {c.id for c in library.catalog.iter_chunks(library.name)} == stored
    assert library.catalog.intents(library.name) == []
    keyword = {c for c, _ in library.lexical().search("report story paragraph", 10_000)}
    assert keyword == stored, "the keyword index and the catalog disagree"


def test_sigkill_mid_ingest_in_server_mode_then_rerun(
    tmp_path: Path, postgres_server: Postgres, chroma_server: str
) -> None:
    """Server mode: the killed writer's advisory lock goes with its connection, the re-run
    (another process, another home) reconciles its intents, and the end state is a clean
    run's."""
    folder = tmp_path / "batch"
    make_batch(folder)
    tests = Path(__file__).resolve().parent

    def setup(name: str) -> tuple[dict[str, str], Settings]:
        url = postgres_server.database()
        env = {
            **{k: v for k, v in os.environ.items() if not k.startswith("ASSISTANT_")},
            "ASSISTANT_HOME": str(tmp_path / f"{name}-writer"),
            "ASSISTANT_LIBRARY": f"crash-{name}-{os.getpid()}",
            "ASSISTANT_DATABASE_URL": url,
            "ASSISTANT_CHROMA_URL": chroma_server,
            "ASSISTANT_EMBEDDER": "hash",
            "ASSISTANT_PLUGINS": "hash_plugin",
            "ASSISTANT_FLUSH_CHUNKS": "16",
            "PYTHONPATH": os.pathsep.join([str(tests.parent), str(tests)]),
        }
        settings = Settings(  # type: ignore[call-arg]
            home=tmp_path / f"{name}-checker",
            library=env["ASSISTANT_LIBRARY"],
            database_url=url,
            chroma_url=chroma_server,
            _env_file=None,
        )
        return env, settings

    env, settings = setup("crashed")
    process = subprocess.Popen(
        [sys.executable, "-m", "assistant.cli", "ingest", str(folder), "--quiet"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 120
    url = settings.database_url or ""
    while server_rows(url) < 40:
        assert process.poll() is None, "ingest finished before it could be killed"
        assert time.monotonic() < deadline, "ingest made no progress"
        time.sleep(0.02)
    # Kill inside a flush if we can: its chunks are in Chroma, its rows not yet committed.
    aim = time.monotonic() + 5
    while server_rows(url, "intents") == 0 and time.monotonic() < aim:
        pass
    process.send_signal(signal.SIGKILL)
    process.wait()
    done_before = server_rows(url)
    assert 0 < done_before < N_ARTICLES
    checker = Assistant(settings, embedder=HashEmbedder())
    left = len(checker.catalog.intents(settings.library))

    rerun = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", str(folder), "--json"],
        env={**env, "ASSISTANT_HOME": str(tmp_path / "crashed-rerun")},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    counts = json.loads(rerun.stdout)["counts"]
    assert counts["added"] + counts["unchanged"] == N_ARTICLES
    assert counts["unchanged"] >= done_before - 1
    again = Assistant(settings, embedder=HashEmbedder())
    server_consistent(again)

    clean_env, clean_settings = setup("clean")
    clean_run = subprocess.run(
        [sys.executable, "-m", "assistant.cli", "ingest", str(folder), "--quiet"],
        env=clean_env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert clean_run.returncode == 0, clean_run.stderr
    clean = Assistant(clean_settings, embedder=HashEmbedder())
    crashed_lib, clean_lib = again.library(), clean.library()
    assert crashed_lib.catalog.chunk_ids(crashed_lib.name) == clean_lib.catalog.chunk_ids(
        clean_lib.name
    )
    assert crashed_lib.stats() == clean_lib.stats() == (N_ARTICLES, N_ARTICLES)
    assert sorted(crashed_lib.store.ids()) == sorted(clean_lib.store.ids())
    print(
        f"server kill: {done_before} of {N_ARTICLES} committed when killed, {left} intents "
        f"left; re-run {counts}"
    )
