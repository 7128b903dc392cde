"""Tune the offline extractive engine on SQuAD 2.0: which sentence to quote, and when to abstain.

    python eval/tune_extractive.py --home /tmp/squad-home

Each SQuAD paragraph is ingested as an article, and the bundled samples into a second library
for the news cases (both built once into --home and reused). Every question is retrieved once
(k=6); the engine's features of every candidate sentence are computed once (semantic
similarity for all of them, each distinct sentence embedded once); configurations are then
scored on those cached features with numpy.

Questions are split by paragraph (--split paragraph, the default: a paragraph whose source
hashes even is for tuning, odd held out; its questions stay together) or by Wikipedia article
(--split article: titles in sorted order, even positions tune, odd held out). The engine ranks
sentences with one weighted sum and rates the best one with another; both are tuned on the
tune split by coordinate ascent from several starts: first the ranking weights, for the share
of answerable questions whose best sentence holds the answer; then the confidence weights and
the threshold, for accuracy.

SQuAD's unanswerable questions are written to look answerable, so its best threshold alone
refuses much ordinary news. The news rules (--news-rules) keep the engine working on news: the
seed-article checks of the brief, tests/test_chat.py and tests/test_ui.py (GUARD) must come out
right, with a margin, and the seed gold set (--seed, gated by tests/test_evaluation_seed.py)
must not regress against its committed baseline: "full" (the default) on every metric that
test gates on; "accuracy" on its accuracy alone, so refusals may trade against wrong answers;
"off" tunes for SQuAD alone. All three are tuned and compared: the price on SQuAD.

The report gives the outcome on the held-out split and on all questions, measured by running
the real engine (real embedder) with the chosen config, its answer-step time per question, the
trade-off across thresholds, and the news cases (the seed set, the guards, and checks that are
never tuned on).

Outcomes: answered-right (answerable, answered, a gold answer is in the quote after SQuAD
normalisation), refused-wrongly (answerable, abstained), answered-wrongly (answerable and no
gold answer in the quote, or unanswerable and answered), refused-rightly (unanswerable,
abstained). Accuracy = answered-right + refused-rightly. News cases are matched as the eval
matches facts (every fact, any of its alternatives).
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import pickle
import re
import shutil
import statistics
import string
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from numpy.typing import NDArray
from squad import Paragraph, load_squad

from assistant.answer.citations import number_sources
from assistant.answer.extractive import FEATURES, ExtractiveConfig, ExtractiveEngine
from assistant.api import Assistant
from assistant.config import Settings
from assistant.embeddings import Embedder, Vectors
from assistant.errors import ConfigError
from assistant.evaluation.compare import DEFAULT_TOLERANCE, load_report
from assistant.evaluation.datasets import SAMPLES, load_dataset
from assistant.evaluation.metrics import match_facts
from assistant.llm import LLM
from assistant.models import Article, Hit
from assistant.parts import Parts
from assistant.query import Query
from assistant.retrieve.pipeline import Retrieval
from assistant.store.library import Library

EVAL_DIR = Path(__file__).resolve().parent
DEFAULT_SEED = EVAL_DIR / "seed_cases.yaml"
DEFAULT_SEED_BASELINE = EVAL_DIR / "seed_baseline.json"
SQUAD_LIBRARY = "squad"
NEWS_LIBRARY = "samples"
K = 6
OUTCOMES = ("answered_right", "refused_wrongly", "answered_wrongly", "refused_rightly")
# Features and their parts, so the neighbour weights can be tuned without recomputing.
RAW = (*FEATURES, "own", "context", "named_own", "named_context", "adds", "article")

# News questions over the bundled samples: (question, acceptable answers; none = abstain).
# GUARD: the brief's seed-article checks and those of tests/test_chat.py and tests/test_ui.py,
# which constrain the tuning. A chat follow-up is retrieved with its standalone question.
GUARD: list[tuple[str, tuple[str, ...]]] = [
    ("How many missiles did Russia launch?", ("71 missiles",)),
    ("How cold did it get in Kharkiv?", ("minus 23C",)),
    ("Who is the CEO of DTEK?", ("Maxim Timchenko",)),
    ("Who won the 2018 FIFA World Cup?", ()),
    ("What is the capital of Australia?", ()),
    ("How tall is the Motherland monument?", ("62 metres", "102 metres")),
    ("And how many drones?", ("450 drones",)),
]
FOLLOW_UPS = {"And how many drones?": "How many missiles did Russia launch? And how many drones?"}
# CHECKS: written while designing the features (seen then, never tuned on).
CHECKS: list[tuple[str, tuple[str, ...]]] = [
    ("How many drones did Ukraine intercept?", ("412 drones",)),
    ("When does the New START treaty expire?", ("5 February 2026", "February 5")),
    ("How tall is the Motherland Monument?", ("102 metres", "62 metres")),
    ("Who designed the Motherland Monument?", ("Yevgeny Vuchetich",)),
    ("How many warheads could each side deploy under New START?", ("1,550",)),
    ("Where was the first round of trilateral talks held?", ("Abu Dhabi",)),
    ("How many miners were killed?", ("12 miners",)),
    ("How much territory did Russia seize in January?", ("481 square kilometers",)),
    ("Where does the heat for district heating come from?", ("combined heat and power",)),
    ("How many homes had their heating cut in Kharkiv?", ("800 homes",)),
    ("What is the price of bitcoin?", ()),
    ("Who is the president of France?", ()),
    ("How many people died in the earthquake in Japan?", ()),
    ("When was the Eiffel Tower built?", ()),
    ("What is the boiling point of water?", ()),
]
# LATE_CHECKS: written later, once most of the design was in place (never tuned on either).
LATE_CHECKS: list[tuple[str, tuple[str, ...]]] = [
    ("When was the Motherland Monument opened?", ("1981",)),
    ("What replaced the hammer and sickle on the shield?", ("trident",)),
    # "8 April 2010" at first; "signed in 2010" is right too (changed after the first run).
    ("When was New START signed?", ("8 April 2010", "2010")),
    ("When did Russia suspend its participation in New START?", ("February 2023",)),
    ("How cold was it in Kyiv overnight?", ("minus 19C",)),
    ("How many people were wounded in the capital?", ("Five people",)),
    ("What tariff will the US charge on Indian goods?", ("18 percent",)),
    ("Who is the governor of Kharkiv?", ("Oleg Synegubov",)),
    ("Why can district heating pipes burst in a frost?", ("freeze and burst",)),
    ("Who completed the Motherland Monument after the sculptor died?", ("Vasyl Borodai",)),
    ("How many tanks did Russia lose?", ()),
    ("Who is the prime minister of Japan?", ()),
    ("What is the population of Kyiv?", ()),
    ("When did the Second World War end?", ()),
    ("How much does a barrel of Brent crude cost?", ()),
]
GUARD_MARGIN = 0.02  # the threshold stays this far from every guard's confidence
# Where the search starts, whatever the defaults are now: the engine before tuning.
_UNTUNED = {"lexical": 0.45, "semantic": 0.35, "type": 0.1, "retrieval": 0.1}
START = ExtractiveConfig(
    **{f"{p}_{name}": _UNTUNED.get(name, 0.0) for p in ("w", "c") for name in FEATURES},
    threshold=0.4,
    neighbour_weight=0.3,
    named_neighbour_weight=0.5,
    max_sentences=2,
    runner_up_margin=0.05,
    semantic_candidates=5,
)

Array = NDArray[np.float64]
Mask = NDArray[np.bool_]


# Cases and answer matching

_ARTICLES = re.compile(r"\b(a|an|the)\b")
_PUNCT = str.maketrans("", "", string.punctuation + "‘’“”–—")


def normalize(text: str) -> str:
    """SQuAD's normalisation: lowercase, no punctuation, no articles, single spaces."""
    return " ".join(_ARTICLES.sub(" ", text.lower().translate(_PUNCT)).split())


def contains_answer(text: str, answers: Sequence[str]) -> bool:
    """Whether a normalised gold answer occurs in the normalised text, on word boundaries."""
    haystack = f" {normalize(text)} "
    return any(f" {normalize(a)} " in haystack for a in answers if normalize(a))


@dataclass(frozen=True)
class Case:
    """A question with what a right answer holds: a SQuAD answer, or every news fact."""

    id: str
    question: str
    answerable: bool
    answers: tuple[str, ...] = ()  # SQuAD: any one of them
    facts: tuple[tuple[str, ...], ...] = ()  # news: every fact, any of its alternatives
    group: str = ""  # the SQuAD paragraph
    standalone: str = ""  # a chat follow-up's standalone question, which retrieval uses

    def found_in(self, text: str) -> bool:
        """Whether the text holds the answer."""
        if not self.answerable:
            return False
        if self.facts:
            return all(f.found for f in match_facts(text, [list(f) for f in self.facts]))
        return contains_answer(text, self.answers)

    def outcome(self, abstained: bool, text: str) -> str:
        """One of OUTCOMES."""
        if self.answerable:
            if abstained:
                return "refused_wrongly"
            return "answered_right" if self.found_in(text) else "answered_wrongly"
        return "refused_rightly" if abstained else "answered_wrongly"


def squad_cases(path: Path, limit: int) -> tuple[list[Paragraph], list[Case]]:
    """The paragraphs and questions of a SQuAD file (at most `limit`, spread evenly)."""
    paragraphs, questions = load_squad(path)
    cases = [Case(q.id, q.question, q.answerable, q.answers, group=q.paragraph) for q in questions]
    if limit and limit < len(cases):
        keep = np.linspace(0, len(cases) - 1, limit).round().astype(int)
        cases = [cases[i] for i in sorted(set(keep.tolist()))]
    return paragraphs, cases


def news_cases(items: Sequence[tuple[str, tuple[str, ...]]], kind: str) -> list[Case]:
    """Questions over the sample articles; an answer is right with any of the alternatives."""
    return [
        Case(
            f"{kind}-{i}",
            q,
            bool(alts),
            facts=(alts,) if alts else (),
            standalone=FOLLOW_UPS.get(q, ""),
        )
        for i, (q, alts) in enumerate(items)
    ]


def seed_cases(path: Path) -> list[Case]:
    """The question cases of an eval dataset over the bundled samples."""
    dataset = load_dataset(path)
    if list(dataset.ingest) != [SAMPLES] or dataset.passages:
        raise SystemExit(f"error: {path} must ingest exactly the bundled samples")
    return [
        Case(c.id, c.question, c.answerable, facts=tuple(tuple(f) for f in c.facts))
        for c in dataset.qa_cases
    ]


def in_tune_split(case: Case, paragraphs: Sequence[Paragraph], by: str) -> bool:
    """Whether a SQuAD question belongs to the tune split (else held out); deterministic."""
    if by == "article":
        titles = sorted({p.title for p in paragraphs})
        title = next(p.title for p in paragraphs if p.source == case.group)
        return titles.index(title) % 2 == 0
    return hashlib.sha256(case.group.encode()).digest()[0] % 2 == 0


# Libraries and retrieval (built once, cached in --home)


def open_libraries(home: Path, paragraphs: Sequence[Paragraph]) -> tuple[Library, Library]:
    """The SQuAD and the news library in `home`, ingested unless they already are."""
    settings = Settings(home=home, library=SQUAD_LIBRARY, _env_file=None)
    assistant = Assistant(settings)
    squad = assistant.library(SQUAD_LIBRARY)
    if squad.stats()[0] != len(paragraphs):
        started = time.perf_counter()
        for p in paragraphs:
            assistant.ingest_text(p.text, title=p.title, source=p.source, library=SQUAD_LIBRARY)
        print(f"ingested {len(paragraphs)} paragraphs in {time.perf_counter() - started:.0f}s")
    news = assistant.library(NEWS_LIBRARY)
    if news.stats()[0] == 0:
        assistant.ingest_samples(library=NEWS_LIBRARY)
    return squad, news


@dataclass
class Retrieved:
    case: Case
    vector: Vectors
    hits: list[Hit]


def _no_llm() -> LLM:
    raise ConfigError("tuning runs offline")


def retrieve_all(
    library: Library, cases: Sequence[Case], cache: Path | None = None
) -> list[Retrieved]:
    """Each question's vector and top-k hits, once; cached on disk beside the library."""
    stored: dict[str, tuple[Vectors, list[Hit]]] = {}
    if cache is not None and cache.is_file():
        stored = pickle.loads(cache.read_bytes())
    missing = [c for c in cases if c.id not in stored]
    if missing:
        queries = [c.standalone or c.question for c in missing]
        vectors = library.embedder.embed(queries)
        parts = Parts(library, Settings(_env_file=None), library.tokenizer, chat=_no_llm)  # type: ignore[call-arg]
        retrieval = Retrieval(parts, "hybrid")
        for c, query, v in zip(missing, queries, vectors, strict=True):
            stored[c.id] = (v, retrieval.run(query, v, Query(), K))
        if cache is not None:
            cache.write_bytes(pickle.dumps(stored))
    return [Retrieved(c, *stored[c.id]) for c in cases]


def articles_of(library: Library, retrieved: Sequence[Retrieved]) -> dict[str, Article]:
    """The articles (with text) of every retrieved chunk."""
    ids = list(dict.fromkeys(h.chunk.article_id for r in retrieved for h in r.hits))
    return {a: s.article for a, s in library.catalog.get_many(library.name, ids).items()}


class CachedEmbedder:
    """Wraps an embedder so that each distinct text is embedded once (for tuning only)."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.name = inner.name
        self._cache: dict[str, Vectors] = {}

    def embed(self, texts: Sequence[str]) -> Vectors:
        todo = list(dict.fromkeys(t for t in texts if t not in self._cache))
        if todo:
            for text, vector in zip(todo, self.inner.embed(todo), strict=True):
                self._cache[text] = vector
        return np.stack([self._cache[t] for t in texts])


# Cached features: one row per candidate sentence, grouped by question


@dataclass
class Table:
    """Candidate features of every question, padded to Q x C."""

    values: dict[str, Array]  # RAW name -> Q x C
    valid: Mask  # Q x C: a real candidate
    hit: Mask  # Q x C: the sentence holds the answer
    text_id: NDArray[np.int64]  # Q x C: the same id means the same sentence text
    answerable: Mask  # Q

    def subset(self, mask: Mask) -> Table:
        """The rows of the questions in `mask`."""
        return Table(
            {k: v[mask] for k, v in self.values.items()},
            self.valid[mask],
            self.hit[mask],
            self.text_id[mask],
            self.answerable[mask],
        )


def feature_table(retrieved: Sequence[Retrieved], library: Library) -> Table:
    """Compute the engine's features once per question, semantic similarity for all."""
    articles = articles_of(library, retrieved)
    engine = ExtractiveEngine(
        CachedEmbedder(library.embedder), ExtractiveConfig(semantic_candidates=10**6)
    )
    index = library.lexical()
    idf = index.idf if index is not None else None
    rows: list[list[dict[str, float]]] = []
    hits: list[list[bool]] = []
    texts: list[list[int]] = []
    text_ids: dict[str, int] = {}
    ids: dict[str, int] = {}
    for r in retrieved:
        sources = number_sources(r.hits, articles)
        candidates = engine.features(
            r.case.question, sources, articles, idf=idf, question_vector=r.vector
        )
        rows.append(
            [
                {**c.features, **c.parts, "article": float(ids.setdefault(c.article_id, len(ids)))}
                for c in candidates
            ]
        )
        hits.append([r.case.found_in(c.text) for c in candidates])
        texts.append([text_ids.setdefault(c.text.strip(), len(text_ids)) for c in candidates])
    n, width = len(rows), max((len(r) for r in rows), default=1)
    values = {name: np.zeros((n, width)) for name in RAW}
    valid = np.zeros((n, width), dtype=bool)
    hit = np.zeros((n, width), dtype=bool)
    text_id = np.full((n, width), -1, dtype=np.int64)
    for i, row in enumerate(rows):
        for j, features in enumerate(row):
            for name in RAW:
                values[name][i, j] = features[name]
        valid[i, : len(row)] = True
        hit[i, : len(row)] = hits[i]
        text_id[i, : len(row)] = texts[i]
    answerable = np.array([r.case.answerable for r in retrieved], dtype=bool)
    return Table(values, valid, hit, text_id, answerable)


# Simulating a configuration on the table


@dataclass(frozen=True)
class Decision:
    """Per question: the confidence of the best sentence and whether answering would be right."""

    best: Array  # Q: -inf when no sentence may answer
    right: Mask  # Q

    def subset(self, mask: Mask) -> Decision:
        return Decision(self.best[mask], self.right[mask])


def simulate(table: Table, config: ExtractiveConfig) -> Decision:
    """What the engine with `config` would decide for each question (threshold aside): the
    confidence of the sentence it ranks first, and whether its quote would hold the answer."""
    v = table.values
    lexical = np.minimum(1.0, v["own"] + config.neighbour_weight * v["context"])
    named = np.minimum(1.0, v["named_own"] + config.named_neighbour_weight * v["named_context"])
    features = {name: v[name] for name in FEATURES} | {"lexical": lexical, "named": named}
    # Sentences that add a word to the question's, the top `semantic_candidates` by prerank
    # (stable order), get a semantic score; only they may answer.
    prerank = lexical + 0.5 * v["retrieval"]  # as the engine computes it
    eligible = table.valid & (v["adds"] > 0)
    order = np.argsort(-np.where(eligible, prerank, -np.inf), axis=1, kind="stable")
    rank = np.empty_like(order)
    np.put_along_axis(rank, order, np.arange(order.shape[1])[None, :], axis=1)
    shortlisted = eligible & (rank < config.semantic_candidates)
    features["semantic"] = np.where(shortlisted, v["semantic"], 0.0)

    def weighted(weights: dict[str, float]) -> Array:
        total = np.zeros_like(lexical)
        for name, w in weights.items():
            if w:
                total += w * features[name]
        return total

    # Ranking weights as if summing to 1, as the engine uses them.
    ranking = config.weights()
    scale = sum(ranking.values()) or 1.0
    score = np.where(shortlisted, weighted({n: w / scale for n, w in ranking.items()}), -np.inf)
    ranked = np.argsort(-score, axis=1, kind="stable")
    rows = np.arange(score.shape[0])
    first = ranked[:, 0]
    second = ranked[:, 1] if score.shape[1] > 1 else first
    two = (
        (config.max_sentences >= 2)
        & (score[rows, second] >= score[rows, first] - config.runner_up_margin)
        & (table.text_id[rows, second] != table.text_id[rows, first])
        & (v["article"][rows, second] == v["article"][rows, first])
        & np.isfinite(score[rows, second])
    )
    right = table.answerable & (table.hit[rows, first] | (two & table.hit[rows, second]))
    confidence = weighted(config.confidence_weights())[rows, first]
    return Decision(np.where(np.isfinite(score[rows, first]), confidence, -np.inf), right)


def counts(decision: Decision, answerable: Mask, threshold: float) -> dict[str, int]:
    """Outcome counts when abstaining below `threshold`."""
    answered = decision.best >= threshold
    return {
        "answered_right": int((answered & decision.right).sum()),
        "refused_wrongly": int((~answered & answerable).sum()),
        "answered_wrongly": int((answered & ~decision.right).sum()),
        "refused_rightly": int((~answered & ~answerable).sum()),
    }


def summary(outcomes: Sequence[str]) -> dict[str, float]:
    """Outcome counts, the number of questions and the accuracy."""
    n = max(1, len(outcomes))
    out: dict[str, float] = {k: outcomes.count(k) for k in OUTCOMES}
    out["questions"] = len(outcomes)
    out["accuracy"] = round((out["answered_right"] + out["refused_rightly"]) / n, 4)
    return out


# The news rules


Allowed = Callable[[Array], Mask]  # thresholds -> which ones the rules allow


@dataclass
class NewsRules:
    """What a config must get right on news: every guard case, with a margin, and the seed set
    no worse than its committed baseline (accuracy, answered right, false refusals, refusals)."""

    guard: Table
    seed: Table | None = None
    floor: dict[str, float] = dataclasses.field(default_factory=dict)

    def ranking_ok(self, config: ExtractiveConfig) -> bool:
        """Whether the best sentence holds the answer for every guard case, and for enough
        seed cases to keep answered-right at its floor."""
        if not simulate(self.guard, config).right[self.guard.answerable].all():
            return False
        if self.seed is None:
            return True
        decision = simulate(self.seed, config)
        return bool(decision.right[self.seed.answerable].mean() >= self.floor["fact_recall"])

    def allowed(self, config: ExtractiveConfig) -> Allowed | None:
        """The thresholds these rules allow for a config; None when the ranking fails them."""
        guard = simulate(self.guard, config)
        if not guard.right[self.guard.answerable].all():
            return None
        low = float(guard.best[~self.guard.answerable].max(initial=-np.inf)) + GUARD_MARGIN
        high = float(guard.best[self.guard.answerable].min(initial=np.inf)) - GUARD_MARGIN
        seed = simulate(self.seed, config) if self.seed is not None else None
        floor = self.floor

        def allowed(thresholds: Array) -> Mask:
            ok: Mask = (thresholds >= low) & (thresholds <= high)
            if seed is None or self.seed is None:
                return ok
            answerable = self.seed.answerable
            answered = seed.best[None, :] >= thresholds[:, None]
            right = (answered & seed.right[None, :]).sum(axis=1)
            refused_right = (~answered & ~answerable[None, :]).sum(axis=1)
            refused_wrong = (~answered & answerable[None, :]).sum(axis=1)
            n_answerable = max(1, int(answerable.sum()))
            n_unanswerable = max(1, int((~answerable).sum()))
            ok &= (right + refused_right) / len(answerable) >= floor["accuracy"]
            ok &= right / n_answerable >= floor["fact_recall"]
            ok &= refused_wrong / n_answerable <= floor["false_refusal_rate"]
            ok &= refused_right / n_unanswerable >= floor["refusal_rate"]
            return ok

        return allowed


RULES = ("full", "accuracy", "off")


def seed_floor(
    baseline: Path, rules: str = "full", tolerance: float = DEFAULT_TOLERANCE
) -> dict[str, float]:
    """The seed-set metrics a config must keep: the baseline's, give or take the tolerance.
    "full" keeps every one the seed test gates on (accuracy, answered right, false refusals,
    refusals); "accuracy" only the accuracy, so refusals may trade against wrong answers."""
    metrics = load_report(baseline).metrics
    margin = tolerance + 1e-9

    def metric(name: str, default: float) -> float:
        value = metrics.get(name)
        return default if value is None else float(value)

    floor = {"accuracy": metric("accuracy", 0.0) - margin}
    if rules == "full":
        floor["fact_recall"] = metric("fact_recall", 0.0) - margin
        floor["false_refusal_rate"] = metric("false_refusal_rate", 1.0) + margin
        floor["refusal_rate"] = metric("refusal_rate", 0.0) - margin
    else:
        floor.update(fact_recall=0.0, false_refusal_rate=1.0, refusal_rate=0.0)
    return floor


SMOOTH = 0.05  # share of the questions the accuracy curve is averaged over


def best_threshold(
    decision: Decision,
    answerable: Mask,
    allowed: Allowed | None = None,
    smooth: float = SMOOTH,
) -> tuple[float, float]:
    """The allowed threshold where the accuracy curve, averaged over `smooth` of the
    questions, peaks, and that averaged accuracy (-1 when no threshold is allowed). Averaging
    prefers a broad plateau to a spike that would not carry over to other questions."""
    best = decision.best
    n = len(best)
    order = np.argsort(-best, kind="stable")
    # Answering the top i questions: right answers among them + refusals right among the rest.
    gain = np.concatenate(([0], np.cumsum(decision.right[order].astype(int))))
    refused = np.concatenate(([0], np.cumsum((~answerable[order]).astype(int))))
    accuracy = (gain + (refused[-1] - refused)) / max(1, n)
    size = max(1, int(smooth * n)) // 2 * 2 + 1
    if size > 1:
        padded = np.pad(accuracy, size // 2, mode="edge")
        accuracy = np.convolve(padded, np.ones(size) / size, mode="valid")
    # Cut i answers the top i: halfway between neighbouring distinct confidences.
    s = np.clip(best[order], -1e6, 1e6)
    if n == 0:
        s = np.array([0.5])
        accuracy = np.array([0.0, 0.0])
    thresholds = np.concatenate(([s[0] + 1e-6], (s[:-1] + s[1:]) / 2, [s[-1] - 1e-6]))
    ok = np.concatenate(([True], s[1:] != s[:-1], [True]))
    if allowed is not None:
        ok &= allowed(thresholds)
    if not ok.any():
        return float("nan"), -1.0
    i = int(np.argmax(np.where(ok, accuracy, -1.0)))
    return float(thresholds[i]), float(accuracy[i])


# Search

GRID = (0.0, 0.05, 0.1, 0.2, 0.3, 0.45, 0.6, 0.8, 1.0)
NEIGHBOUR = (0.0, 0.15, 0.3, 0.5)
NEIGHBOUR_NAMED = (0.0, 0.25, 0.5, 0.75, 1.0)
MIN_GAIN = 0.002  # a step must win this much (about 1.5 of 750 questions)
Objective = Callable[[ExtractiveConfig], float]
Steps = list[tuple[str, Sequence[float]]]


def search(
    table: Table, rules: NewsRules | None, start: ExtractiveConfig, restarts: int = 8
) -> ExtractiveConfig | None:
    """Tune on `table` (the tune split) in two stages, each by coordinate ascent from `start`
    and from `restarts` random weightings:
    1. ranking and neighbour weights, for the share of answerable questions whose best
       sentence holds the answer;
    2. confidence weights, for the accuracy at the best threshold.
    With `rules`, a config must keep them (its ranking, then its threshold); None when no
    config found does."""

    def selection(config: ExtractiveConfig) -> float:
        # The best sentence alone: quoting a runner-up too must not count here.
        config = dataclasses.replace(config, max_sentences=1)
        if rules is not None and not rules.ranking_ok(config):
            return -1.0
        decision = simulate(table, config)
        return float(decision.right[table.answerable].mean())

    def accuracy(config: ExtractiveConfig) -> float:
        allowed = rules.allowed(config) if rules is not None else None
        if rules is not None and allowed is None:
            return -1.0
        return best_threshold(simulate(table, config), table.answerable, allowed)[1]

    rng = np.random.default_rng(0)
    ranking: Steps = [(f"w_{n}", GRID) for n in FEATURES]
    ranking += [("neighbour_weight", NEIGHBOUR), ("named_neighbour_weight", NEIGHBOUR_NAMED)]
    config = _best_of(start, "w", ranking, selection, rng, restarts, "best sentence holds it")
    if selection(config) < 0:
        return None
    config = _normalised(_with(config, _prefixed(config.weights(), "c")), "w")
    confidence: Steps = [(f"c_{n}", GRID) for n in FEATURES]
    config = _normalised(
        _best_of(config, "c", confidence, accuracy, rng, restarts, "accuracy"), "c"
    )
    allowed = rules.allowed(config) if rules is not None else None
    threshold, score = best_threshold(simulate(table, config), table.answerable, allowed)
    if score < 0:
        return None
    return dataclasses.replace(config, threshold=round(threshold, 4))


def _best_of(
    start: ExtractiveConfig,
    prefix: str,
    steps: Steps,
    objective: Objective,
    rng: np.random.Generator,
    restarts: int,
    label: str,
) -> ExtractiveConfig:
    starts = [start]
    for _ in range(restarts):
        weights = rng.dirichlet(np.ones(len(FEATURES)))
        random = dict(zip(FEATURES, (round(float(w), 2) for w in weights), strict=True))
        starts.append(_with(start, _prefixed(random, prefix)))
    best, best_score = start, -np.inf
    for config in starts:
        config, score = _ascend(config, prefix, steps, objective)
        if score > best_score + 1e-9:
            best, best_score = config, score
    print(f"  {label}, tune split: {best_score:.4f}")
    return best


def _ascend(
    config: ExtractiveConfig, prefix: str, steps: Steps, objective: Objective
) -> tuple[ExtractiveConfig, float]:
    score = objective(config)
    for _ in range(6):
        improved = False
        for name, grid in steps:
            for value in grid:
                trial = _with(config, {name: value})
                if sum(_weights(trial, prefix).values()) <= 0:
                    continue
                trial_score = objective(trial)
                if trial_score > score + MIN_GAIN or (score < 0 and trial_score > score):
                    config, score, improved = trial, trial_score, True
        if not improved:
            break
    return config, score


def _with(config: ExtractiveConfig, values: dict[str, float]) -> ExtractiveConfig:
    fields: dict[str, Any] = dict(values)
    return dataclasses.replace(config, **fields)


def _weights(config: ExtractiveConfig, prefix: str) -> dict[str, float]:
    return config.weights() if prefix == "w" else config.confidence_weights()


def _prefixed(weights: dict[str, float], prefix: str) -> dict[str, float]:
    return {f"{prefix}_{name}": w for name, w in weights.items()}


def _normalised(config: ExtractiveConfig, prefix: str) -> ExtractiveConfig:
    """The weights scaled to sum to 1 (rounded): the same decisions."""
    weights = _weights(config, prefix)
    total = sum(weights.values())
    scaled = _prefixed({n: round(w / total, 4) for n, w in weights.items()}, prefix)
    return _with(config, scaled)


# Real run: the engine with the chosen config, real embedder, timed


@dataclass
class Run:
    outcomes: list[str]
    seconds: list[float]
    answers: list[str]
    quoted: list[int]


def run_engine(retrieved: Sequence[Retrieved], library: Library, config: ExtractiveConfig) -> Run:
    """Each question's outcome, answer-step seconds, answer text and quoted sentences."""
    articles = articles_of(library, retrieved)
    engine = ExtractiveEngine(library.embedder, config)
    index = library.lexical()
    idf = index.idf if index is not None else None
    run = Run([], [], [], [])
    for r in retrieved:
        sources = number_sources(r.hits, articles)
        started = time.perf_counter()
        result = engine.answer(
            r.case.question, sources, articles, idf=idf, question_vector=r.vector
        )
        run.seconds.append(time.perf_counter() - started)
        run.outcomes.append(r.case.outcome(result.abstained, result.text))
        run.answers.append(result.text)
        run.quoted.append(len(result.chosen))
    return run


def threshold_table(
    decision: Decision,
    answerable: Mask,
    chosen: float,
    seed: tuple[Decision, Mask] | None = None,
    n: int = 10,
) -> list[dict[str, float]]:
    """Outcomes at `n` thresholds spread over the confidences, plus the chosen one."""
    finite = decision.best[np.isfinite(decision.best)]
    if not len(finite):
        return []
    grid = set(np.round(np.quantile(finite, np.linspace(0.05, 0.95, n)), 3).tolist())
    grid.add(round(chosen, 4))
    rows = []
    for t in sorted(grid):
        c = counts(decision, answerable, t)
        row: dict[str, float] = {"threshold": t, **c}
        row["accuracy"] = round((c["answered_right"] + c["refused_rightly"]) / len(answerable), 4)
        if seed is not None:
            s = counts(seed[0], seed[1], t)
            row["seed_accuracy"] = round(
                (s["answered_right"] + s["refused_rightly"]) / len(seed[1]), 4
            )
        rows.append(row)
    return rows


def split_accuracy(
    table: Table, masks: dict[str, Mask], config: ExtractiveConfig
) -> dict[str, dict[str, float]]:
    """Simulated outcome counts and accuracy per split."""
    decision = simulate(table, config)
    out: dict[str, dict[str, float]] = {}
    for name, mask in masks.items():
        c: dict[str, float] = {
            **counts(decision.subset(mask), table.answerable[mask], config.threshold)
        }
        c["accuracy"] = round(
            (c["answered_right"] + c["refused_rightly"]) / max(1, int(mask.sum())), 4
        )
        out[name] = c
    return out


def right_count(table: Table, config: ExtractiveConfig) -> int:
    """How many questions the config gets right (simulated)."""
    c = counts(simulate(table, config), table.answerable, config.threshold)
    return c["answered_right"] + c["refused_rightly"]


# Main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", type=Path, required=True, help="squad2-tune.json")
    parser.add_argument("--out", type=Path, default=Path("eval/out"))
    parser.add_argument("--limit", type=int, default=0, help="at most N questions, spread evenly")
    parser.add_argument(
        "--home", type=Path, help="library folder to build once and reuse (default: a temp dir)"
    )
    parser.add_argument(
        "--split",
        choices=["paragraph", "article"],
        default="paragraph",
        help="hold out half of the paragraphs (default) or half of the Wikipedia articles",
    )
    parser.add_argument("--seed", type=Path, default=DEFAULT_SEED, help="news gold set")
    parser.add_argument("--seed-baseline", type=Path, default=DEFAULT_SEED_BASELINE)
    parser.add_argument(
        "--news-rules",
        choices=RULES,
        default="full",
        help="full (the default): none of the metrics the seed test gates on may regress; "
        "accuracy: only the seed set's accuracy may not fall; off: tune for SQuAD alone. All "
        "three are tuned and compared; the report measures this one.",
    )
    parser.add_argument(
        "--no-search", action="store_true", help="evaluate the default config without tuning"
    )
    args = parser.parse_args(argv)
    for path in (args.dataset, args.seed, args.seed_baseline):
        if not path.is_file():
            print(f"error: {path} not found", file=sys.stderr)
            return 2
    paragraphs, cases = squad_cases(args.dataset, args.limit)
    home = args.home or Path(tempfile.mkdtemp(prefix="tune-extractive-"))
    try:
        report = tune(args, paragraphs, cases, home)
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    text = render(report)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "tune_extractive.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "tune_extractive.md").write_text(text)
    print(text)
    return 0


def tune(
    args: argparse.Namespace, paragraphs: Sequence[Paragraph], cases: Sequence[Case], home: Path
) -> dict[str, object]:
    """Tune (unless --no-search), then measure; the report as JSON data."""
    squad, news = open_libraries(home, paragraphs)
    started = time.perf_counter()
    retrieved = retrieve_all(squad, cases, home / "tune-retrieval.pkl")
    table = feature_table(retrieved, squad)
    news_sets = {
        "seed": seed_cases(args.seed),
        "guard": news_cases(GUARD, "guard"),
        "check": news_cases(CHECKS, "check"),
        "late-check": news_cases(LATE_CHECKS, "late"),
    }
    news_retrieved = {name: retrieve_all(news, items) for name, items in news_sets.items()}
    seed = feature_table(news_retrieved["seed"], news)
    guard = feature_table(news_retrieved["guard"], news)
    checks = [feature_table(news_retrieved[n], news) for n in ("check", "late-check")]
    print(f"retrieval and features in {time.perf_counter() - started:.0f}s")

    tune_mask = np.array([in_tune_split(c, paragraphs, args.split) for c in cases])
    masks = {"tune": tune_mask, "held_out": ~tune_mask, "all": np.ones_like(tune_mask)}
    tuned: dict[str, ExtractiveConfig] = {}
    if args.no_search:
        chosen = ExtractiveConfig()
    else:
        for mode in RULES:
            print(f"tuning on {int(tune_mask.sum())} questions, news rules {mode}")
            rules = (
                None
                if mode == "off"
                else NewsRules(guard, seed, seed_floor(args.seed_baseline, mode))
            )
            found = search(table.subset(tune_mask), rules, START)
            if found is None:
                print(f"  no config keeps the news rules {mode!r}")
            else:
                tuned[mode] = found
        if args.news_rules not in tuned:
            raise SystemExit(f"error: no config keeps the news rules {args.news_rules!r}")
        chosen = tuned[args.news_rules]
    frontier = [
        {
            "rules": mode,
            "squad": split_accuracy(table, masks, config),
            "seed": split_accuracy(seed, {"all": np.ones_like(seed.answerable)}, config)["all"],
            "checks_right": sum(right_count(t, config) for t in checks),
            "checks": sum(len(t.answerable) for t in checks),
            "config": dataclasses.asdict(config),
        }
        for mode, config in tuned.items()
    ]

    started = time.perf_counter()
    run = run_engine(retrieved, squad, chosen)
    print(f"real engine on {len(retrieved)} questions in {time.perf_counter() - started:.0f}s")
    engine = {
        name: summary([o for o, m in zip(run.outcomes, mask, strict=True) if m])
        for name, mask in masks.items()
    }
    ms = sorted(s * 1000 for s in run.seconds)
    timing = {
        "mean_ms": round(statistics.fmean(ms), 1),
        "p50_ms": round(ms[len(ms) // 2], 1),
        "p95_ms": round(ms[int(len(ms) * 0.95)], 1),
        "max_ms": round(ms[-1], 1),
    }
    decision = simulate(table, chosen)
    seed_curve = (simulate(seed, chosen), seed.answerable)
    held = masks["held_out"]
    curves = {
        "held_out": threshold_table(
            decision.subset(held), table.answerable[held], chosen.threshold, seed_curve
        ),
        "all": threshold_table(decision, table.answerable, chosen.threshold, seed_curve),
    }
    news_report: dict[str, object] = {}
    for name, items in news_retrieved.items():
        news_run = run_engine(items, news, chosen)
        news_report[name] = {
            "summary": summary(news_run.outcomes),
            "cases": [
                {"question": r.case.question, "outcome": o, "answer": a}
                for r, o, a in zip(items, news_run.outcomes, news_run.answers, strict=True)
            ],
        }
    return {
        "dataset": str(args.dataset),
        "paragraphs": len(paragraphs),
        "questions": len(cases),
        "split": {
            "by": args.split,
            "tune_questions": int(tune_mask.sum()),
            "held_out_questions": int(held.sum()),
        },
        "news_rules": "none (--no-search)" if args.no_search else args.news_rules,
        "chosen_config": dataclasses.asdict(chosen),
        "engine": engine,
        "simulated": split_accuracy(table, masks, chosen),
        "refuse_all_accuracy": round(float((~table.answerable).mean()), 4),
        "two_sentence_answers": sum(1 for q in run.quoted if q >= 2),
        "answer_step": timing,
        "thresholds": curves,
        "news": news_report,
        "frontier": frontier,
    }


def render(report: dict[str, object]) -> str:
    """The markdown report."""
    config = ExtractiveConfig(**report["chosen_config"])  # type: ignore[arg-type]
    split, engine, timing = report["split"], report["engine"], report["answer_step"]
    curves, news, frontier = report["thresholds"], report["news"], report["frontier"]
    assert isinstance(split, dict) and isinstance(engine, dict) and isinstance(timing, dict)
    assert isinstance(curves, dict) and isinstance(news, dict) and isinstance(frontier, list)

    def weights(w: dict[str, float]) -> str:
        return ", ".join(f"{n} {v:g}" for n, v in w.items() if v)

    def row(label: str, s: dict[str, float]) -> str:
        return (
            f"| {label} | {s['answered_right']} | {s['refused_wrongly']} | "
            f"{s['answered_wrongly']} | {s['refused_rightly']} | {s['accuracy']:.1%} |"
        )

    header = (
        "| {} | answered right | refused wrongly | answered wrongly | refused rightly | accuracy |"
    )
    lines = [
        f"# Extractive engine on {Path(str(report['dataset'])).name}: "
        f"{report['questions']} questions, {report['paragraphs']} paragraphs",
        "",
        f"Split by {split['by']}: {split['tune_questions']} questions to tune, "
        f"{split['held_out_questions']} held out. News rules: {report['news_rules']}.",
        "",
        f"Chosen config: ranking {weights(config.weights())}; confidence "
        f"{weights(config.confidence_weights())}; threshold {config.threshold:g}; neighbour "
        f"weights {config.neighbour_weight:g} (lexical), {config.named_neighbour_weight:g} "
        f"(named); max sentences {config.max_sentences}, runner-up margin "
        f"{config.runner_up_margin:g}; semantic candidates {config.semantic_candidates}.",
        "",
        "## SQuAD 2.0, the real engine",
        "",
        header.format("split"),
        "|---|---|---|---|---|---|",
    ]
    for name, s in engine.items():
        lines.append(row(f"{name.replace('_', '-')} ({s['questions']})", s))
    lines += [
        "",
        f"Refusing everything: {report['refuse_all_accuracy']:.1%}. Answers quoting two "
        f"sentences: {report['two_sentence_answers']}.",
        f"Answer step per question: mean {timing['mean_ms']} ms, p50 {timing['p50_ms']} ms, "
        f"p95 {timing['p95_ms']} ms, max {timing['max_ms']} ms.",
    ]
    if frontier:
        lines += [
            "",
            "## News rules: the price on SQuAD (each tuned on the tune split; simulated)",
            "",
            "| news rules | SQuAD held-out | SQuAD all | seed set: right / refused wrongly / "
            "answered wrongly / refused rightly | news checks right | threshold |",
            "|---|---|---|---|---|---|",
        ]
        for f in frontier:
            sq, sd = f["squad"], f["seed"]
            lines.append(
                f"| {f['rules']} | {sq['held_out']['accuracy']:.1%} | {sq['all']['accuracy']:.1%} "
                f"| {sd['answered_right']} / {sd['refused_wrongly']} / {sd['answered_wrongly']} / "
                f"{sd['refused_rightly']} ({sd['accuracy']:.1%}) | {f['checks_right']} of "
                f"{f['checks']} | {f['config']['threshold']:g} |"
            )
    for name, rows in curves.items():
        lines += [
            "",
            f"## Trade-off across thresholds ({name.replace('_', '-')}; simulated)",
            "",
            "| threshold | answered right | refused wrongly | answered wrongly | "
            "refused rightly | accuracy | seed-set accuracy |",
            "|---|---|---|---|---|---|---|",
        ]
        for r in rows:
            mark = " (chosen)" if abs(r["threshold"] - round(config.threshold, 4)) < 1e-9 else ""
            lines.append(
                f"| {r['threshold']:g}{mark} | {r['answered_right']} | {r['refused_wrongly']} | "
                f"{r['answered_wrongly']} | {r['refused_rightly']} | {r['accuracy']:.1%} | "
                f"{r.get('seed_accuracy', float('nan')):.1%} |"
            )
    lines += [
        "",
        "## News (bundled samples)",
        "",
        header.format("set"),
        "|---|---|---|---|---|---|",
    ]
    for name, item in news.items():
        s = item["summary"]
        lines.append(row(f"{name} ({s['questions']})", s))
    lines += ["", "| set | question | outcome | answer |", "|---|---|---|---|"]
    for name, item in news.items():
        if name == "seed":
            continue
        for case in item["cases"]:
            answer = str(case["answer"]).replace("|", "/")
            answer = answer if len(answer) <= 110 else answer[:107] + "..."
            outcome = str(case["outcome"]).replace("_", " ")
            lines.append(f"| {name} | {case['question']} | {outcome} | {answer} |")
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    raise SystemExit(main())
