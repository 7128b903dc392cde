"""The retrievers' dense step within allowed articles: few go to the store's filter, many are
looked for among the nearest ids (a wide time window), and either way the same chunks come."""

from __future__ import annotations

import datetime as dt
import json
import uuid
from pathlib import Path

import pytest
from fakes import HashEmbedder

from assistant.api import Assistant
from assistant.config import Settings
from assistant.query import Filters, Query
from assistant.retrieve import retrievers
from assistant.retrieve.base import RETRIEVERS, Search
from assistant.retrieve.pipeline import Retrieval
from assistant.store import library as library_module
from assistant.store.catalog import ArticleFilter, Matching, members

TOPICS = ["grain exports", "power cuts", "a cup final", "a storm", "a new bridge", "an election"]


@pytest.fixture
def ingested(fake_assistant: Assistant, tmp_path: Path) -> Assistant:
    folder = tmp_path / "news"
    folder.mkdir()
    for i in range(24):
        topic = TOPICS[i % len(TOPICS)]
        (folder / f"story-{i:02d}.txt").write_text(
            f"Story {i} about {topic}\n\nReporters wrote about {topic} on day {i}. "
            f"Officials said {topic} mattered to {i * 7} people.",
            encoding="utf-8",
        )
    fake_assistant.ingest(folder)
    return fake_assistant


@pytest.mark.parametrize(
    ("where_ids", "max_nearest", "exact_chunks"),
    [(500, 10_000, 0), (2, 10_000, 0), (2, 5, 0), (2, 5, 10_000)],
    ids=["store-filter", "nearest-ids", "nearest-too-few", "catalog-exact"],
)
def test_dense_within_allowed_articles(
    ingested: Assistant,
    where_ids: int,
    max_nearest: int,
    exact_chunks: int,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(retrievers, "WHERE_IDS", where_ids)
    monkeypatch.setattr(retrievers, "MAX_NEAREST", max_nearest)
    library = ingested.library()
    library.exact.max_chunks = exact_chunks  # 0: the vector store's paths
    allowed = sorted(a.id for a in library.articles())[::3]
    vector = ingested.embedder.embed(["What did officials say about power cuts?"])[0]
    exact = library.store.query(vector, 6, allowed)  # the store's own filtered search
    search = Search(text="power cuts", vector=vector, pool=6, query=Query(), articles=allowed)
    hits = RETRIEVERS.get("dense")(ingested.parts()).search(search)
    assert [h.chunk.id for h in hits] == [h.chunk.id for h in exact]
    assert all(h.chunk.article_id in allowed for h in hits) and len(hits) == 6


@pytest.fixture(params=["embedded", "server"])
def dated(request: pytest.FixtureRequest, hash_embedder: HashEmbedder, tmp_path: Path) -> Assistant:
    """48 stories, one a day from 1 January 2026; in the embedded setup (SQLite, chroma on
    disk) and the server one (PostgreSQL, a Chroma server)."""
    servers: dict[str, str] = {}
    if request.param == "server":
        servers = {
            "database_url": request.getfixturevalue("database_url"),
            "chroma_url": request.getfixturevalue("chroma_server"),
            "library": f"wide-{uuid.uuid4().hex[:10]}",
        }
    settings = Settings(home=tmp_path / "home", _env_file=None, **servers)  # type: ignore[arg-type]
    assistant = Assistant(settings, embedder=hash_embedder)
    lines = [
        json.dumps(
            {
                "title": f"Story {i} about {TOPICS[i % len(TOPICS)]}",
                "text": f"Reporters wrote about {TOPICS[i % len(TOPICS)]} on day {i}. "
                f"Officials said it mattered to {i * 7} people.",
                "date": (dt.date(2026, 1, 1) + dt.timedelta(days=i)).isoformat(),
            }
        )
        for i in range(48)
    ]
    (tmp_path / "news.jsonl").write_text("\n".join(lines), encoding="utf-8")
    assistant.ingest(tmp_path / "news.jsonl")
    return assistant


@pytest.mark.parametrize("exact_chunks", [0, 10_000], ids=["store", "catalog-exact"])
@pytest.mark.parametrize("mode", ["dense", "lexical", "hybrid"])
def test_a_wide_date_window_is_asked_about_not_listed(
    dated: Assistant, mode: str, exact_chunks: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A date window that passes more than WIDE articles becomes a `Matching`: the searches ask
    the catalog about the candidates they meet, never list the window, and find what the
    listed window finds (dense search by the vector store, or exactly over the catalog's
    copies)."""
    dated.library().exact.max_chunks = exact_chunks
    since = dt.date(2026, 1, 17)  # 32 of the 48 stories, more than a keyword pool (24)
    query = Query(filters=Filters(date_from=since))
    where = ArticleFilter(date_from=since)
    text = "Officials said power cuts mattered to people"
    vector = dated.embedder.embed([text])[0]
    listed = Retrieval(dated.parts(), mode).run(text, vector, query, 6)
    assert (dated.library().exact.nearest(vector, 3) is not None) == bool(exact_chunks)
    assert isinstance(dated.library().filter_articles(where), frozenset)

    monkeypatch.setattr(library_module, "WIDE", 4)
    monkeypatch.setattr(retrievers, "WHERE_IDS", 2)  # the dense step: among the nearest ids
    library = dated.library()
    library._filtered.clear()
    matching = library.filter_articles(where)
    assert isinstance(matching, Matching)
    asked = Retrieval(dated.parts(), mode).run(text, vector, query, 6)
    assert [(h.chunk.id, round(h.score, 6)) for h in asked] == [
        (h.chunk.id, round(h.score, 6)) for h in listed
    ]
    assert len(asked) == 6 and matching._all is None  # asked about, never listed
    passed = {a.id for a in library.articles() if a.date and a.date >= since}
    everyone = [a.id for a in library.articles()]
    assert {i for i in everyone if i in matching} == passed  # asked one by one
    assert members(matching, everyone) == passed and matching._all is None
    assert set(matching) == passed and len(matching) == 32  # listed only when iterated


def test_keyword_hits_take_their_vectors_from_the_catalog(
    fake_assistant: Assistant, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Chunks only BM25 found get their cosine from the catalog's float16 copy; a library
    written before the catalog kept vectors asks the vector store, and ranks the same."""
    folder = tmp_path / "many"
    folder.mkdir()
    for i in range(80):  # more chunks than the pool, so that some are found by BM25 alone
        (folder / f"s{i:02d}.txt").write_text(
            f"Report {i}\n\nThe council of town {i} met about {TOPICS[i % 6]} on day {i % 9}.",
            encoding="utf-8",
        )
    fake_assistant.ingest(folder)
    asked: list[str] = []
    store_type = type(fake_assistant.library().store)
    read = store_type.vectors

    def recording(self: object, chunk_ids: list[str]) -> object:
        asked.extend(chunk_ids)
        return read(self, chunk_ids)  # type: ignore[arg-type]

    monkeypatch.setattr(store_type, "vectors", recording)
    monkeypatch.setattr(library_module, "packed_by", lambda vectors, sizes: [[] for _ in sizes])
    fake_assistant.ingest(folder, library="older")  # no vectors in its catalog rows
    question = "What did the council of town 7 meet about on day 7?"
    vector = fake_assistant.embedder.embed([question])[0]
    found = {}
    for name in ("default", "older"):
        asked.clear()
        hits = Retrieval(fake_assistant.parts(name), "hybrid").run(question, vector, Query(), 5)
        found[name] = (hits, list(asked))
    (kept, kept_asked), (older, older_asked) = found["default"], found["older"]
    assert kept_asked == [] and older_asked, "only the older library asks the vector store"
    assert [h.chunk.id for h in kept] == [h.chunk.id for h in older]
    for new, old in zip(kept, older, strict=True):
        assert new.dense == pytest.approx(old.dense, abs=2e-3)
        assert new.score == pytest.approx(old.score, abs=2e-3)
