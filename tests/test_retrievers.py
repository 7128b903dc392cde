"""The retrievers' dense step within allowed articles: few go to the store's filter, many are
looked for among the nearest ids (a wide time window), and either way the same chunks come."""

from __future__ import annotations

from pathlib import Path

import pytest

from assistant.api import Assistant
from assistant.query import Query
from assistant.retrieve import retrievers
from assistant.retrieve.base import RETRIEVERS, Search

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
    ("where_ids", "max_nearest"),
    [(500, 10_000), (2, 10_000), (2, 5)],
    ids=["store-filter", "nearest-ids", "nearest-too-few"],
)
def test_dense_within_allowed_articles(
    ingested: Assistant, where_ids: int, max_nearest: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(retrievers, "WHERE_IDS", where_ids)
    monkeypatch.setattr(retrievers, "MAX_NEAREST", max_nearest)
    library = ingested.library()
    allowed = sorted(a.id for a in library.articles())[::3]
    vector = ingested.embedder.embed(["What did officials say about power cuts?"])[0]
    exact = library.store.query(vector, 6, allowed)  # the store's own filtered search
    search = Search(text="power cuts", vector=vector, pool=6, query=Query(), articles=allowed)
    hits = RETRIEVERS.get("dense")(ingested.parts()).search(search)
    assert [h.chunk.id for h in hits] == [h.chunk.id for h in exact]
    assert all(h.chunk.article_id in allowed for h in hits) and len(hits) == 6
