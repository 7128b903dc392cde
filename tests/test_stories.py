"""Stories: the pure grouping on hand-made features, names and dates, and a real library (chromadb
on disk, the hash embedder) grouped through the API."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import numpy as np
import pytest

from assistant.api import Assistant
from assistant.errors import NotFoundError
from assistant.summarize.stories import (
    DEFAULT_CONFIG,
    ArticleFeatures,
    StoryConfig,
    _idf,
    article_names,
    choose_stories,
    cluster,
    find_story,
    group_articles,
    make_stories,
    pair_similarity,
    similarity_matrix,
)

DAY = dt.date(2026, 3, 1)
DIM = 16


def unit(*weights: tuple[int, float]) -> np.ndarray:
    """A unit vector with these (axis, weight) entries."""
    v = np.zeros(DIM, dtype=np.float32)
    for axis, weight in weights:
        v[axis] = weight
    return v / np.linalg.norm(v)


def article(
    name: str,
    vector: np.ndarray,
    names: str = "",
    days: int | None = 0,
    outlet: str = "news.example",
) -> ArticleFeatures:
    return ArticleFeatures(
        article_id=name,
        title=f"Title of {name}",
        vector=vector,
        names=frozenset(names.split()),
        date=None if days is None else DAY + dt.timedelta(days=days),
        outlet=outlet,
    )


# The tests set their own weights, so that retuning the shipped ones does not change them.
CONFIG = StoryConfig(threshold=0.7, w_names=0.3, w_days=0.4, max_days=30)


def groups(features: list[ArticleFeatures], config: StoryConfig = CONFIG) -> set[str]:
    """The stories as strings of sorted article names: {"ab", "c"}."""
    return {
        "".join(sorted(features[i].article_id for i in group))
        for group in group_articles(features, config)
    }


QUAKE = unit((0, 1.0))
QUAKE_REWRITE = unit((0, 1.0), (1, 0.25))
FLOOD = unit((2, 1.0))
HALFWAY = unit((0, 1.05), (2, 1.0))  # cosine 0.72 to QUAKE, 0.69 to FLOOD


@pytest.mark.parametrize(
    ("features", "expected", "config"),
    [
        pytest.param(
            [article("a", QUAKE), article("b", QUAKE_REWRITE), article("c", FLOOD)],
            {"ab", "c"},
            CONFIG,
            id="rewrite-joins-other-event-apart",
        ),
        pytest.param(
            [article("a", QUAKE), article("b", QUAKE, days=2), article("c", QUAKE_REWRITE, days=5)],
            {"abc"},
            CONFIG,
            id="follow-ups-within-days",
        ),
        pytest.param(
            [article("a", QUAKE), article("b", QUAKE, days=400)],
            {"a", "b"},
            CONFIG,
            id="same-words-a-year-apart",
        ),
        pytest.param(
            [article("a", QUAKE), article("b", FLOOD)],
            {"a", "b"},
            CONFIG,
            id="different-events",
        ),
        pytest.param(
            [
                article("a", unit((0, 1.0), (3, 1.0)), "maduro caracas"),
                article("b", unit((0, 1.0), (4, 1.0)), "maduro caracas"),
                article("c", unit((5, 1.0)), "berlin"),
                article("d", unit((6, 1.0)), "paris"),
            ],
            {"ab", "c", "d"},
            CONFIG,
            id="shared-rare-names-link-a-looser-pair",
        ),
        pytest.param(
            [
                article("a", unit((0, 1.0), (3, 1.0))),
                article("b", unit((0, 1.0), (4, 1.0))),
            ],
            {"a", "b"},
            CONFIG,
            id="the-same-pair-without-names-stays-apart",
        ),
        pytest.param(
            [article("a", QUAKE), article("b", HALFWAY), article("c", FLOOD)],
            {"ab", "c"},
            StoryConfig(threshold=0.65, w_names=0.3, w_days=0.4),
            id="no-chaining-through-a-middle-article",
        ),
        pytest.param([article("a", QUAKE, days=None)], {"a"}, CONFIG, id="one-undated-article"),
        pytest.param([], set(), CONFIG, id="nothing"),
    ],
)
def test_grouping(features: list[ArticleFeatures], expected: set[str], config: StoryConfig) -> None:
    assert groups(features, config) == expected


def test_the_shipped_weights_group_a_rewrite_and_keep_other_events_apart() -> None:
    features = [article("a", QUAKE), article("b", QUAKE_REWRITE, days=1), article("c", FLOOD)]
    assert groups(features, DEFAULT_CONFIG) == {"ab", "c"}


def test_threshold_decides_how_close_is_close_enough() -> None:
    features = [article("a", QUAKE), article("b", HALFWAY)]
    assert groups(features, StoryConfig(threshold=0.9, w_names=0, w_days=0)) == {"a", "b"}
    assert groups(features, StoryConfig(threshold=0.6, w_names=0, w_days=0)) == {"ab"}


def test_every_article_is_in_exactly_one_story() -> None:
    rng = np.random.default_rng(0)
    features = [
        article(f"x{i}", (v := rng.normal(size=DIM).astype(np.float32)) / np.linalg.norm(v), days=i)
        for i in range(40)
    ]
    found = [i for group in group_articles(features) for i in group]
    assert sorted(found) == list(range(40))


def test_group_articles_is_the_clustering_of_the_similarity_matrix() -> None:
    rng = np.random.default_rng(1)
    names = ["kyiv", "lviv", "maduro", "caracas", "@01-03", "porto", "lisbon", "woods"]
    features = []
    for i in range(60):
        v = rng.normal(size=DIM).astype(np.float32) + (i % 3) * 2.0  # three loose families
        picked = rng.choice(names, size=int(rng.integers(0, 4)), replace=False)
        features.append(article(f"x{i}", v / np.linalg.norm(v), " ".join(picked), days=i % 40))
    features.append(article("undated", features[0].vector, "kyiv", days=None))
    for config in (CONFIG, DEFAULT_CONFIG, StoryConfig(threshold=0.5, w_names=0.0, w_days=0.0)):
        sims = similarity_matrix(features, config)
        idf = _idf(features)
        for i, j in ((0, 1), (5, 17), (60, 0), (33, 34)):
            expected = pair_similarity(features[i], features[j], idf, config)
            assert sims[i, j] == pytest.approx(expected)
        assert sorted(map(sorted, group_articles(features, config))) == sorted(
            map(sorted, cluster(sims, config.threshold))
        )


def test_stories_carry_title_outlets_dates_and_stable_ids() -> None:
    features = [
        article("b", QUAKE_REWRITE, days=2, outlet="two.example"),
        article("a", QUAKE, days=0, outlet="one.example"),
        article("c", FLOOD, days=9),
    ]
    stories = make_stories(features)
    assert [s.article_ids for s in stories] == [["c"], ["a", "b"]], "newest story first"
    quake = stories[1]
    assert quake.first_date == DAY and quake.last_date == DAY + dt.timedelta(days=2)
    assert sorted(quake.outlets) == ["one.example", "two.example"]
    assert quake.title in ("Title of a", "Title of b") and quake.size == 2
    again = make_stories([*features, article("d", FLOOD, days=9)])
    assert quake.id in {s.id for s in again}, "a story keeps its id while its first article stays"


def test_find_and_choose_stories() -> None:
    stories = make_stories(
        [article("a", QUAKE), article("b", QUAKE_REWRITE), article("c", FLOOD, days=1)]
    )
    quake = next(s for s in stories if s.size == 2)
    assert find_story(stories, quake.id) == quake
    assert find_story(stories, quake.id[:4]) == quake
    assert find_story(stories, "b") == quake, "an article id finds its story"
    assert choose_stories(stories, 1) == [quake], "the largest first"
    assert choose_stories(stories, 5, "c") == [s for s in stories if s.article_ids == ["c"]]
    resolved = choose_stories(stories, 5, "bee", resolve=lambda key: "b")
    assert resolved == [quake]
    with pytest.raises(NotFoundError, match="assistant stories"):
        choose_stories(stories, 5, "zzz")


@pytest.mark.parametrize(
    ("title", "text", "expected"),
    [
        pytest.param(
            "Maduro captured",
            "Nicolás Maduro was captured on Jan. 3 in Caracas, officials said.",
            {"maduro", "nicolas", "caracas", "@01-03"},
            id="names-accents-and-a-day",
        ),
        pytest.param(
            "",
            "Officials said the road was closed. The Road to Mandalay opened.",
            {"mandalay"},
            id="capitals-written-lowercase-elsewhere-are-words",
        ),
        pytest.param(
            "",
            "Tiger Woods crashed on March 27. Woods was not hurt.",
            {"tiger", "woods", "@03-27"},
            id="a-name-first-in-its-sentence",
        ),
        pytest.param("", "It rained all week in the hills.", set(), id="none"),
    ],
)
def test_article_names(title: str, text: str, expected: set[str]) -> None:
    assert article_names(title, text) == frozenset(expected)


# A real library: chromadb on disk, the hash embedder

EVENTS = [
    {
        "url": "https://one.example/quake",
        "date": "2026-03-01",
        "title": "Earthquake shakes Valparaiso",
        "text": "A strong earthquake shook the Chilean port city of Valparaiso on Sunday, "
        "damaging old houses and cutting power to thousands of homes, officials said. "
        "The quake struck at dawn and was felt in Santiago.",
    },
    {
        "url": "https://two.example/valparaiso-quake",
        "date": "2026-03-02",
        "title": "Valparaiso earthquake cuts power",
        "text": "A strong earthquake shook the Chilean port city of Valparaiso on Sunday, "
        "cutting power to thousands of homes and damaging old houses, officials said. "
        "It was felt as far as Santiago.",
    },
    {
        "url": "https://one.example/final",
        "date": "2026-03-01",
        "title": "Porto win the cup final",
        "text": "Porto beat Benfica in the cup final in Lisbon on Saturday night, with a late "
        "goal from their captain settling a tense match before a full stadium.",
    },
]


def write_pages(tmp_path: Path, rows: list[dict[str, str]]) -> Path:
    path = tmp_path / "pages.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    return path


def test_library_stories_group_rewrites_of_one_event(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    assert fake_assistant.ingest(write_pages(tmp_path, EVENTS)).ok
    stories = fake_assistant.stories()
    assert sorted(s.size for s in stories) == [1, 2]
    quake = next(s for s in stories if s.size == 2)
    assert quake.article_ids == ["one.example/quake", "two.example/valparaiso-quake"]
    assert quake.outlets == ["one.example", "two.example"]
    assert quake.first_date == dt.date(2026, 3, 1) and quake.last_date == dt.date(2026, 3, 2)
    later = fake_assistant.stories(since=dt.date(2026, 3, 2))
    assert [s.article_ids for s in later] == [["two.example/valparaiso-quake"]]


def test_stories_of_a_missing_library_say_how_to_create_it(fake_assistant: Assistant) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        fake_assistant.stories(library="nowhere")
