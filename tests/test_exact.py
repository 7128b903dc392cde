"""Exact dense search over the catalog's vector copies (store/exact.py): the same neighbours as
a brute-force search over the vector store's own vectors, kept current as writers commit, and
out of the way when the library is too large or its copies are incomplete."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.config import Settings
from assistant.query import Query
from assistant.retrieve.pipeline import Retrieval
from assistant.store.shared import release

TOPICS = ["grain exports", "power cuts", "a cup final", "a storm", "a new bridge", "an election"]


def write_stories(folder: Path, n: int, start: int = 0) -> None:
    folder.mkdir(exist_ok=True)
    for i in range(start, start + n):
        topic = TOPICS[i % len(TOPICS)]
        (folder / f"story-{i:03d}.txt").write_text(
            f"Story {i} about {topic}\n\nReporters in town {i} wrote about {topic}. "
            f"Officials said {topic} mattered to {i * 7} people on day {i % 9}.",
            encoding="utf-8",
        )


def brute_force(
    assistant: Assistant, vector: np.ndarray, allowed: set[str] | None = None
) -> dict[str, float]:
    """Every committed chunk's cosine to `vector`, from the vector store's own vectors."""
    library = assistant.library()
    owners = {
        c.id: a.id for a in library.articles() for c in library.chunks(a.id)
    }  # chunk -> article, committed only
    ids = sorted(c for c, a in owners.items() if allowed is None or a in allowed)
    vectors = library.store.vectors(ids)
    cosine = {
        c: float(vectors[c] @ vector / (np.linalg.norm(vectors[c]) * np.linalg.norm(vector)))
        for c in ids
    }
    return cosine


def assert_nearest(found: list[tuple[str, float]] | None, cosine: dict[str, float], k: int) -> None:
    """`found` are the k best of `cosine`, best first, up to float16 rounding (near-ties may
    swap places): the i-th found has the i-th best cosine, and its own."""
    assert found is not None and len(found) == k
    best = sorted(cosine.values(), reverse=True)[:k]
    for (chunk_id, score), expected in zip(found, best, strict=True):
        assert score == pytest.approx(cosine[chunk_id], abs=2e-3)
        assert cosine[chunk_id] == pytest.approx(expected, abs=4e-3)


def test_exact_neighbours_equal_brute_force_and_follow_commits(
    fake_assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    write_stories(tmp_path / "news", 30)
    fake_assistant.ingest(tmp_path / "news")
    library = fake_assistant.library()
    vector = fake_assistant.embedder.embed(["Officials said power cuts mattered to people"])[0]
    found = library.exact.nearest(vector, 8)
    assert_nearest(found, brute_force(fake_assistant, vector), 8)
    assert found is not None
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)

    allowed = {a.id for a in library.articles()[::4]}
    within = library.exact.nearest(vector, 5, allowed)
    assert_nearest(within, brute_force(fake_assistant, vector, allowed), 5)

    # Another writer commits: the next search reads only the new chunk's copy and finds it.
    def full_read(library: str) -> None:
        raise AssertionError("a commit should not make the exact search read every copy")

    monkeypatch.setattr(library.catalog, "vector_rows", full_read)
    other = Assistant(fake_assistant.settings, embedder=fake_assistant.embedder)
    (tmp_path / "late").mkdir()
    (tmp_path / "late" / "late.txt").write_text(
        "Late news\n\nA zeppelin landed on the roof of the opera house.", encoding="utf-8"
    )
    other.ingest(tmp_path / "late")
    late = fake_assistant.embedder.embed(["A zeppelin landed on the roof of the opera house."])
    top = library.exact.nearest(late[0], 1)
    assert top is not None
    late_id = next(a.id for a in library.articles() if a.source.endswith("late.txt"))
    assert library.catalog.owners(library.name, [top[0][0]]) == {top[0][0]: late_id}
    assert_nearest(library.exact.nearest(vector, 8), brute_force(fake_assistant, vector), 8)
    other.delete(late_id)
    after = library.exact.nearest(late[0], 40)
    assert after is not None and top[0][0] not in {c for c, _ in after}
    everything = library.exact.nearest(late[0], 1000)
    assert everything is not None and len(everything) == library.catalog.count(library.name)[1]


def test_large_libraries_and_missing_copies_go_to_the_vector_store(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    write_stories(tmp_path / "news", 12)
    fake_assistant.ingest(tmp_path / "news")
    library = fake_assistant.library()
    question = "What did officials say about a storm on day 3?"
    vector = fake_assistant.embedder.embed([question])[0]
    exact_hits = Retrieval(fake_assistant.parts(), "dense").run(question, vector, Query(), 5)
    assert library.exact.nearest(vector, 5) is not None

    library.exact.max_chunks = library.catalog.count(library.name)[1] - 1  # one too many
    assert library.exact.nearest(vector, 5) is None
    store_hits = Retrieval(fake_assistant.parts(), "dense").run(question, vector, Query(), 5)
    assert [h.chunk.id for h in store_hits] == [h.chunk.id for h in exact_hits]
    for a, b in zip(store_hits, exact_hits, strict=True):
        assert a.dense == pytest.approx(b.dense, abs=2e-3)  # float16 copies

    library.exact.max_chunks = 10_000
    with sqlite3.connect(fake_assistant.settings.home / "catalog.sqlite3") as db:
        db.execute("UPDATE chunks SET vector = NULL WHERE rowid = (SELECT MIN(rowid) FROM chunks)")
        db.execute("UPDATE libraries SET generation = generation + 1")
    reads = []
    vector_rows = library.catalog.vector_rows
    library.catalog.vector_rows = lambda name: reads.append(name) or vector_rows(name)  # type: ignore[method-assign]
    for _ in range(3):
        assert library.exact.nearest(vector, 5) is None  # an older row without a copy
    assert len(reads) == 1  # not read again until the library changes


@pytest.mark.parametrize(("limit", "opens_chroma"), [("30000", False), ("0", True)])
def test_a_cold_ask_on_a_small_library_does_not_open_the_vector_store(
    tmp_path: Path, limit: str, opens_chroma: bool
) -> None:
    home = tmp_path / "home"
    write_stories(tmp_path / "news", 6)
    Assistant(Settings(home=home, _env_file=None)).ingest(tmp_path / "news")  # type: ignore[call-arg]
    release(home)  # else the ask would reach this process's vector store, as `serve`'s
    script = (
        "import sys\n"
        "from assistant.cli import main\n"
        "code = main(['ask', 'What mattered to officials about the storm?'])\n"
        "print('chromadb' in sys.modules, code)\n"
    )
    env = {**os.environ, "ASSISTANT_HOME": str(home), "ASSISTANT_EXACT_SEARCH_CHUNKS": limit}
    done = subprocess.run(
        [sys.executable, "-c", script], env=env, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.strip().splitlines()
    assert lines[-1] == f"{opens_chroma} 0"
    assert "[1]" in done.stdout  # answered with a citation either way
