"""Stories: articles about the same event, grouped; then the thin layer that reads a library.

Two articles are about the same event when their similarity reaches `threshold`:

    similarity = cosine of their lead vectors (the embedding of each article's first chunk)
               + w_names * the names and dates they share (weighted by rarity, see below)
               - w_days * min(days between them, max_days) / max_days

Names are the capitalised words of the title and lead that the article never writes in
lowercase ("Maduro", "Crans-Montana", not "Says"); day-of-month dates written there ("Jan. 3")
count too. Shared names are weighted by inverse document frequency over the articles being
grouped, so "Trump" links little and "Heraskevych" a lot: the score is the weighted Jaccard
index of the two sets. Grouping is average-linkage agglomerative clustering: stories merge
while the mean similarity between their articles reaches the threshold (single links do not
chain unrelated articles). Scoring is vectorised and done a block of rows at a time; only the
matrices of linked components are kept, so memory stays well below n x n.

Weights and threshold were chosen on the tune split of hand-labelled RealTimeQA page pairs and
measured on the held-out split (eval/bench_stories.py, eval/data/story_pairs.jsonl).
"""

from __future__ import annotations

import datetime as dt
import math
import re
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import numpy as np
from numpy.typing import NDArray

from assistant.embeddings import Vectors
from assistant.errors import NotFoundError
from assistant.models import Article, Story, sha256_hex
from assistant.store.library import Library

LEAD_CHARS = 1200  # names are read from the title and this much of the text
_WORD = re.compile(r"[^\W\d_][\w'’.-]*[^\W_]|[^\W\d_]", re.UNICODE)
_CAPITALISED = re.compile(r"[A-Z][\w'’.-]*[^\W_]|[A-Z]")
_DAY_DATE = re.compile(
    r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)[a-z]*\.?\s+(\d{1,2})\b"
)
_NAME_FOLLOWS = re.compile(r"[ \t]+[A-Z]")
_MONTH = {m: i for i, m in enumerate("jan feb mar apr may jun jul aug sep oct nov dec".split(), 1)}
# Capitalised words that are never names, whatever the article writes in lowercase.
_NOT_NAMES = frozenset(
    """a an and as at but by for from he her his i if in it its mr mrs ms dr no not of on or
    our she so the their them then there these they this those to up we what when where which
    who why will with you your after before during while how here more most new all also just
    monday tuesday wednesday thursday friday saturday sunday january february march april may
    june july august september october november december jan feb mar apr jun jul aug sep sept
    oct nov dec updated editor note read share sign ai-assisted summary""".split()
)
_BLOCK = 1024  # rows of the similarity matrix computed at a time


@dataclass(frozen=True)
class StoryConfig:
    """How similar two articles must be to share a story; chosen by eval/bench_stories.py."""

    threshold: float = 0.64
    w_names: float = 0.15
    w_days: float = 0.2
    max_days: int = 60


DEFAULT_CONFIG = StoryConfig()


@dataclass(frozen=True)
class ArticleFeatures:
    """What grouping looks at: an article's lead vector, names, date and outlet."""

    article_id: str
    title: str
    vector: Vectors
    """Unit vector (1-D) of the article's lead."""
    names: frozenset[str]
    date: dt.date | None = None
    outlet: str = ""


def _fold(word: str) -> str:
    ascii_word = unicodedata.normalize("NFKD", word).encode("ascii", "ignore").decode()
    return ascii_word.lower().replace("’", "'").removesuffix("'s").strip(".'-")


def article_names(title: str, text: str, lead_chars: int = LEAD_CHARS) -> frozenset[str]:
    """Names and day dates of an article's title and lead, folded to lowercase ASCII (pure).

    >>> sorted(article_names("Maduro Captured", "Nicolás Maduro was captured on Jan. 3."))
    ['@01-03', 'maduro', 'nicolas']
    """
    lead = f"{title}\n{text[:lead_chars]}"
    lowercase = {_fold(w) for w in _WORD.findall(lead) if w[0].islower()}
    names: set[str] = set()
    for match in _CAPITALISED.finditer(lead):
        folded = _fold(match.group())
        if len(folded) < 2 or folded in _NOT_NAMES or folded in lowercase:
            continue
        # A sentence's first word is capitalised anyway: a name only when a name follows it.
        before = lead[: match.start()].rstrip(" \t\"'“‘(")
        starts = not before or before[-1] in ".!?:\n"
        if not starts or _NAME_FOLLOWS.match(lead, match.end()):
            names.add(folded)
    for month, day in _DAY_DATE.findall(lead):
        if 1 <= int(day) <= 31:
            names.add(f"@{_MONTH[month[:3].lower()]:02d}-{int(day):02d}")
    return frozenset(names)


def outlet_of(article: Article) -> str:
    """Where an article comes from: its web host without 'www.', else the agency it credits
    ('AFP'); '' when neither is known (a file with no URL)."""
    if article.url and article.url.lower().startswith(("http://", "https://")):
        return urlsplit(article.url).netloc.lower().removeprefix("www.")
    return article.credits[0] if article.credits else ""


# Scoring


def _idf(features: Sequence[ArticleFeatures]) -> dict[str, float]:
    counts = Counter(name for f in features for name in f.names)
    n = len(features)
    return {name: math.log((n + 1) / (df + 0.5)) for name, df in counts.items()}


def name_overlap(a: frozenset[str], b: frozenset[str], idf: dict[str, float]) -> float:
    """Weighted Jaccard index of two name sets (0..1)."""
    union = sum(idf.get(n, 0.0) for n in a | b)
    if union <= 0:
        return 0.0
    return sum(idf.get(n, 0.0) for n in a & b) / union


def _days_apart(a: dt.date | None, b: dt.date | None) -> int:
    return abs((a - b).days) if a is not None and b is not None else 0


def pair_similarity(
    a: ArticleFeatures,
    b: ArticleFeatures,
    idf: dict[str, float],
    config: StoryConfig = DEFAULT_CONFIG,
) -> float:
    """The similarity of two articles (see the module's docstring)."""
    days = min(_days_apart(a.date, b.date), config.max_days) / config.max_days
    return (
        float(a.vector @ b.vector)
        + config.w_names * name_overlap(a.names, b.names, idf)
        - config.w_days * days
    )


class _Scorer:
    """Similarities of any rows against any columns of a set of articles, vectorised: cosine
    by one matrix product, shared names through an index of which articles hold each name."""

    def __init__(self, features: Sequence[ArticleFeatures], config: StoryConfig) -> None:
        self.config = config
        self.vectors = np.stack([np.asarray(f.vector, dtype=np.float32) for f in features])
        idf = _idf(features)
        postings: dict[str, list[int]] = {}
        for i, f in enumerate(features):
            for name in f.names:
                postings.setdefault(name, []).append(i)
        self.postings = [(idf[name], np.array(ids)) for name, ids in postings.items()]
        self.totals = np.array([sum(idf[n] for n in f.names) for f in features], dtype=np.float64)
        self.days = np.array(
            [f.date.toordinal() if f.date is not None else -1 for f in features], dtype=np.int64
        )

    def block(self, rows: NDArray[np.int64], cols: NDArray[np.int64]) -> NDArray[np.float64]:
        """similarity[i, j] for i in rows, j in cols (see the module's docstring)."""
        config = self.config
        sims = (self.vectors[rows] @ self.vectors[cols].T).astype(np.float64)
        if config.w_names:
            where_row = np.full(len(self.vectors), -1)
            where_row[rows] = np.arange(len(rows))
            where_col = np.full(len(self.vectors), -1)
            where_col[cols] = np.arange(len(cols))
            shared = np.zeros_like(sims)
            for weight, holders in self.postings:
                r, c = where_row[holders], where_col[holders]
                r, c = r[r >= 0], c[c >= 0]
                if r.size and c.size:
                    shared[np.ix_(r, c)] += weight
            union = self.totals[rows][:, None] + self.totals[cols][None, :] - shared
            overlap = np.divide(shared, union, out=np.zeros_like(shared), where=union > 0)
            sims += config.w_names * overlap
        if config.w_days:
            a, b = self.days[rows][:, None], self.days[cols][None, :]
            apart = np.where((a >= 0) & (b >= 0), np.abs(a - b), 0)
            sims -= config.w_days * np.minimum(apart, config.max_days) / config.max_days
        return sims


def similarity_matrix(
    features: Sequence[ArticleFeatures], config: StoryConfig = DEFAULT_CONFIG
) -> NDArray[np.float64]:
    """The similarity of every pair of articles (n x n; the diagonal is meaningless) (pure)."""
    everything = np.arange(len(features))
    return _Scorer(features, config).block(everything, everything)


def cluster(sims: NDArray[np.float64], threshold: float) -> list[list[int]]:
    """Average-linkage clusters of a similarity matrix, merging while the mean similarity
    between two clusters reaches `threshold`; run within each linked component (pure)."""
    n = len(sims)
    upper = np.triu(sims >= threshold, k=1)
    return _clusters(
        n, zip(*np.nonzero(upper), strict=True), lambda ids: sims[np.ix_(ids, ids)], threshold
    )


def _clusters(
    n: int,
    edges: Iterable[tuple[Any, Any]],
    sub_matrix: Callable[[NDArray[np.int64]], NDArray[np.float64]],
    threshold: float,
) -> list[list[int]]:
    parent = list(range(n))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    for i, j in edges:
        parent[root(int(i))] = root(int(j))
    components: dict[int, list[int]] = {}
    for i in range(n):
        components.setdefault(root(i), []).append(i)
    groups: list[list[int]] = []
    for members in components.values():
        if len(members) == 1:
            groups.append(members)
            continue
        ids = np.array(members)
        groups.extend(
            [members[k] for k in found] for found in _average_linkage(sub_matrix(ids), threshold)
        )
    return groups


def group_articles(
    features: Sequence[ArticleFeatures], config: StoryConfig = DEFAULT_CONFIG
) -> list[list[int]]:
    """Indices of the articles of each story (pure); every article is in exactly one.

    The same as `cluster(similarity_matrix(features, config), config.threshold)`, without
    holding the whole matrix: rows are scored a block at a time to find the linked pairs, and
    only each linked component's own matrix is kept for the clustering.
    """
    n = len(features)
    if n == 0:
        return []
    scorer = _Scorer(features, config)
    everything = np.arange(n)
    edges: list[tuple[int, int]] = []
    for start in range(0, n, _BLOCK):
        rows = everything[start : start + _BLOCK]
        linked = scorer.block(rows, everything) >= config.threshold
        for r, c in zip(*np.nonzero(linked), strict=True):
            if start + int(r) < int(c):
                edges.append((start + int(r), int(c)))
    return _clusters(n, edges, lambda ids: scorer.block(ids, ids), config.threshold)


def _average_linkage(sims: NDArray[np.float64], threshold: float) -> list[list[int]]:
    """Clusters of the items of a similarity matrix (average linkage, stop at threshold)."""
    n = len(sims)
    clusters: list[list[int] | None] = [[i] for i in range(n)]
    links = sims.astype(np.float64).copy()
    np.fill_diagonal(links, -np.inf)
    while True:
        flat = int(np.argmax(links))
        i, j = divmod(flat, n)
        if links[i, j] < threshold:
            break
        a, b = clusters[i], clusters[j]
        assert a is not None and b is not None
        merged = (links[i] * len(a) + links[j] * len(b)) / (len(a) + len(b))
        links[i], links[:, i] = merged, merged
        links[i, i] = -np.inf
        links[j], links[:, j] = -np.inf, -np.inf
        clusters[i], clusters[j] = a + b, None
    return [sorted(c) for c in clusters if c is not None]


def make_stories(
    features: Sequence[ArticleFeatures], config: StoryConfig = DEFAULT_CONFIG
) -> list[Story]:
    """The stories of a set of articles, newest first (then largest first) (pure)."""
    stories: list[Story] = []
    for group in group_articles(features, config):
        members = sorted(
            (features[i] for i in group),
            key=lambda f: (f.date or dt.date.max, f.article_id),
        )
        vectors = np.stack([np.asarray(f.vector, dtype=np.float64) for f in members])
        central = members[int(np.argmax(vectors @ vectors.mean(axis=0)))]
        dates = [f.date for f in members if f.date is not None]
        outlets = Counter(f.outlet for f in members if f.outlet)
        stories.append(
            Story(
                id=sha256_hex("story", members[0].article_id)[:8],
                title=central.title,
                article_ids=[f.article_id for f in members],
                outlets=[o for o, _ in outlets.most_common()],
                first_date=min(dates) if dates else None,
                last_date=max(dates) if dates else None,
            )
        )
    stories.sort(key=lambda s: (s.last_date or dt.date.min, s.size, s.id), reverse=True)
    return stories


# Reading a library


def library_features(
    library: Library, since: dt.date | None = None, article_ids: Sequence[str] | None = None
) -> list[ArticleFeatures]:
    """Features of a library's articles (those dated `since` or later, or those given): lead
    vectors from the vector store (nothing is embedded again), names from the catalog's text."""
    stored = library.catalog.all(library.name)
    if article_ids is not None:
        wanted = set(article_ids)
        stored = [s for s in stored if s.article.id in wanted]
    if since is not None:
        stored = [s for s in stored if s.article.date is not None and s.article.date >= since]
    leads = {s.article.id: s.chunk_ids[0] for s in stored if s.chunk_ids}
    vectors: dict[str, Vectors] = {}
    chunk_ids = list(leads.values())
    for start in range(0, len(chunk_ids), 2000):
        vectors.update(library.store.vectors(chunk_ids[start : start + 2000]))
    out: list[ArticleFeatures] = []
    ids = [s.article.id for s in stored if leads.get(s.article.id) in vectors]
    for start in range(0, len(ids), 500):
        full = library.catalog.get_many(library.name, ids[start : start + 500])
        for article_id in ids[start : start + 500]:
            if article_id not in full:
                continue
            article = full[article_id].article
            vector = np.asarray(vectors[leads[article_id]], dtype=np.float32)
            norm = float(np.linalg.norm(vector))
            out.append(
                ArticleFeatures(
                    article_id=article.id,
                    title=article.title,
                    vector=vector / norm if norm > 0 else vector,
                    names=article_names(article.title, article.text),
                    date=article.date,
                    outlet=outlet_of(article),
                )
            )
    return out


def library_stories(
    library: Library, since: dt.date | None = None, config: StoryConfig = DEFAULT_CONFIG
) -> list[Story]:
    """The stories of a library's articles dated `since` or later (all articles without)."""
    return make_stories(library_features(library, since), config)


def find_story(stories: Sequence[Story], key: str) -> Story | None:
    """The story with this id (or unique id prefix), or the one holding this article id."""
    exact = [s for s in stories if s.id == key or key in s.article_ids]
    if exact:
        return exact[0]
    prefixed = [s for s in stories if s.id.startswith(key)]
    return prefixed[0] if len(prefixed) == 1 else None


def choose_stories(
    stories: Sequence[Story],
    limit: int,
    key: str | None = None,
    resolve: Callable[[str], str] | None = None,
) -> list[Story]:
    """The story `key` names (a story id or prefix, or an article id that `resolve` completes),
    else the `limit` largest stories, most recent first among equals."""
    if key is None:
        ranked = sorted(stories, key=lambda s: (s.size, s.last_date or dt.date.min), reverse=True)
        return ranked[:limit]
    story = find_story(stories, key)
    if story is None and resolve is not None:
        try:
            story = find_story(stories, resolve(key))
        except NotFoundError:
            story = None
    if story is None:
        raise NotFoundError(
            f"no story {key!r} among the {len(stories)} stories of these articles; "
            "`assistant stories` lists their ids (an article id works too)"
        )
    return [story]
