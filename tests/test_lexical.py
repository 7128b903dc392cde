"""The in-memory BM25 index: updates in place equal a fresh build; snapshots round-trip."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from assistant.store.lexical import Bm25Index, stem, terms

WORDS = "heating grain football power plant attack cup final trade corridor rain city".split()
FILLER = [f"word{i}" for i in range(300)]


def documents(n: int, seed: int = 7) -> dict[str, tuple[str, list[str]]]:
    rng = random.Random(seed)
    return {
        f"c{i}": (
            f"art{i % 9}",
            terms(" ".join(rng.choices(FILLER, k=20) + rng.choices(WORDS, k=rng.randint(0, 3)))),
        )
        for i in range(n)
    }


def build(docs: dict[str, tuple[str, list[str]]]) -> Bm25Index:
    index = Bm25Index()
    for chunk_id, (article_id, words) in docs.items():
        index.add(chunk_id, article_id, words)
    return index


def test_terms_are_lowercase_stemmed_without_stopwords() -> None:
    assert terms("The Cities were attacked, and it rains") == ["city", "attack", "rain"]
    assert stem("glass") == "glass" and stem("bus") == "bus"


def test_removals_and_compaction_give_the_same_results_as_a_fresh_build() -> None:
    docs = documents(3000)
    index = build(docs)
    rng = random.Random(1)
    gone = set(rng.sample(sorted(docs), 2000))  # past half: the index compacts itself
    for chunk_id in sorted(gone):
        index.remove(chunk_id)
    index.add("c5", "art0", terms("heating heating heating"))  # a re-added id
    left = {k: v for k, v in docs.items() if k not in gone}
    left["c5"] = ("art0", terms("heating heating heating"))
    fresh = build(left)
    assert len(index) == len(fresh) and len(index.ids) < 3000
    for query in ("heating", "grain trade", "cup final attack", "nothing"):
        ours, theirs = index.search(query, 20), fresh.search(query, 20)
        assert [c for c, _ in ours] == [c for c, _ in theirs]
        assert [s for _, s in ours] == pytest.approx([s for _, s in theirs])
        assert index.search(query, 5, ["art1", "art2"]) == fresh.search(query, 5, ["art1", "art2"])
    assert index.idf("heat") == fresh.idf("heat") and index.df("grain") == fresh.df("grain")


def test_scores_are_positive_ranked_and_ties_broken_by_id() -> None:
    index = build({"b": ("x", ["rain"]), "a": ("y", ["rain"]), "c": ("z", ["city", "rain"])})
    found = index.search("rain", 10)
    assert [c for c, _ in found] == ["a", "b", "c"] and all(s > 0 for _, s in found)
    assert index.search("rain", 2) == found[:2]
    assert index.search("", 5) == [] and Bm25Index().search("rain", 5) == []


def test_a_snapshot_round_trips(tmp_path: Path) -> None:
    index = build(documents(500))
    for chunk_id in ("c1", "c2", "c3"):
        index.remove(chunk_id)
    index.save(tmp_path, {"uid": "u", "generation": 7})
    loaded, info = Bm25Index.load(tmp_path)
    assert info["generation"] == 7 and info["uid"] == "u"
    assert len(loaded) == 497 and "c1" not in loaded
    for query in ("heating power", "trade"):
        assert loaded.search(query, 10) == index.search(query, 10)
    loaded.add("new", "art", ["heat"])
    assert loaded.search("heating", 1)[0][0] == "new"
