"""ROUGE of the offline summarizer against LEAD-3 on BBC News Summary (2,225 article/summary pairs).

    .venv/bin/python eval/bench_summary.py                      # all pairs, ~10 min on 2 cores
    .venv/bin/python eval/bench_summary.py --limit 200          # a quick look

Scoring follows the README of the bbc_news_summary data set: rouge-score 0.1.2 with
use_stemmer=True, F1 x 100, headline (line 1) excluded, article sentences split on
`(?<=[.!?])\\s+` within each line, reference sentences also re-split where a full stop is glued
to the next sentence (`...$10.9bn.For the...`). LEAD-3 is scored first to validate the scorer
against the published reference points.

The offline summarizer is the product's own pure function, `select_sentences`, given the same
sentences as LEAD-3 and their embeddings from the bundled ONNX MiniLM (embedded in one batched
call per article, as the product does). At equal length it returns as many sentences as the
baseline: 3 for LEAD-3, round(40%) for the 40% baseline; and, since its sentences tend to be
longer, also within LEAD-3's word count (any number of sentences). Weights were tuned with
--grid on every fifth pair (the "dev" split); the report gives dev and held-out ("test") scores
apart.
Prints the table and writes bench_summary.json / bench_summary.md into --out.
"""

from __future__ import annotations

import argparse
import dataclasses
import itertools
import json
import re
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from assistant.embeddings import OnnxEmbedder
from assistant.summarize.centrality import (
    DEFAULT_CONFIG,
    CentralityConfig,
    count_words,
    key_facts,
    select_sentences,
)

SPLIT = re.compile(r"(?<=[.!?])\s+")
GLUED = re.compile(r"(?<=[.!?])(?=[A-Z\"'])")
METRICS = ("rouge1", "rouge2", "rougeLsum")
PUBLISHED = {
    "lead-3": (44.54, 35.91, 43.47),
    "lead-40%": (62.11, 48.97, 60.78),
}


@dataclass
class Pair:
    """One article (headline dropped) and its reference summary, both as sentences."""

    id: str
    index: int  # position among all pairs, sorted by category and number
    sentences: list[str]
    reference: list[str]
    vectors: np.ndarray | None = None


def read_text(path: Path) -> str:
    """UTF-8, or Latin-1 for the one file that is not (sport/199.txt)."""
    raw = path.read_bytes()
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return raw.decode("latin-1")


def article_sentences(text: str) -> list[str]:
    """The body's sentences: headline dropped, each line split on `(?<=[.!?])\\s+`."""
    body = text.split("\n", 1)[1] if "\n" in text else ""
    lines = [line.strip() for line in body.splitlines() if line.strip()]
    return [s for line in lines for s in SPLIT.split(line) if s.strip()]


def reference_sentences(text: str) -> list[str]:
    """Reference sentences, re-split where a full stop is glued to the next sentence."""
    return [p for s in SPLIT.split(text.strip()) for p in GLUED.split(s) if p.strip()]


def load_pairs(data: Path, limit: int | None) -> list[Pair]:
    """Every article/summary pair, sorted by category and number."""
    paths = list(enumerate(sorted((data / "articles").glob("*/*.txt"))))
    if limit:
        # Spread a limited run over all categories.
        step = max(1, len(paths) // limit)
        paths = paths[::step][:limit]
    return [
        Pair(
            id=f"{p.parent.name}/{p.stem}",
            index=index,
            sentences=article_sentences(read_text(p)),
            reference=reference_sentences(read_text(data / "summaries" / p.parent.name / p.name)),
        )
        for index, p in paths
    ]


def is_dev(pair: Pair) -> bool:
    """Every fifth pair (of all 2,225) was used to tune the weights."""
    return pair.index % 5 == 0


System = Callable[[Pair], list[int]]


def lead(n: int | None) -> System:
    """The first n sentences (None: the first 40%)."""

    def pick(pair: Pair) -> list[int]:
        k = n if n is not None else forty(pair)
        return list(range(min(k, len(pair.sentences))))

    return pick


def ours(n: int | None, config: CentralityConfig = DEFAULT_CONFIG) -> System:
    """The offline summarizer at n sentences (None: as many as the 40% baseline)."""

    def pick(pair: Pair) -> list[int]:
        assert pair.vectors is not None
        k = n if n is not None else forty(pair)
        return select_sentences(pair.sentences, pair.vectors, k, config)

    return pick


def ours_words(config: CentralityConfig = DEFAULT_CONFIG) -> System:
    """The offline summarizer with at most as many words as LEAD-3 (any number of sentences)."""

    def pick(pair: Pair) -> list[int]:
        assert pair.vectors is not None
        budget = sum(count_words(s) for s in pair.sentences[:3])
        n = len(pair.sentences)
        return select_sentences(pair.sentences, pair.vectors, n, config, max_words=budget)

    return pick


def forty(pair: Pair) -> int:
    return max(1, round(0.4 * len(pair.sentences)))


class Scorer:
    """rouge-score 0.1.2, stemmed, with each sentence tokenised once.

    ROUGE-1/2 and ROUGE-Lsum are computed with rouge-score's own n-gram and summary-level LCS
    functions from cached tokens; `check` compares that with `RougeScorer.score` on real pairs.
    """

    def __init__(self) -> None:
        from rouge_score import rouge_scorer

        self._module = rouge_scorer
        self._scorer = rouge_scorer.RougeScorer(list(METRICS), use_stemmer=True)
        self._tokenize = self._scorer._tokenizer.tokenize
        self._sentences: dict[tuple[str, int], list[str]] = {}
        self._references: dict[str, tuple[list[list[str]], list[object]]] = {}

    def _tokens(self, pair: Pair, i: int) -> list[str]:
        key = (pair.id, i)
        if key not in self._sentences:
            self._sentences[key] = self._tokenize(pair.sentences[i])
        return self._sentences[key]

    def _reference(self, pair: Pair) -> tuple[list[list[str]], list[object]]:
        if pair.id not in self._references:
            sentences = [self._tokenize(s) for s in pair.reference if s]
            flat = [t for s in sentences for t in s]
            grams = [self._module._create_ngrams(flat, n) for n in (1, 2)]
            self._references[pair.id] = (sentences, grams)
        return self._references[pair.id]

    def score(self, pair: Pair, picked: Sequence[int]) -> tuple[float, float, float]:
        reference, grams = self._reference(pair)
        prediction = [self._tokens(pair, i) for i in picked if pair.sentences[i]]
        flat = [t for s in prediction for t in s]
        r1 = self._module._score_ngrams(grams[0], self._module._create_ngrams(flat, 1))
        r2 = self._module._score_ngrams(grams[1], self._module._create_ngrams(flat, 2))
        lsum = self._module._summary_level_lcs(reference, prediction)
        return 100 * r1.fmeasure, 100 * r2.fmeasure, 100 * lsum.fmeasure

    def check(self, pairs: Sequence[Pair], picked: Sequence[Sequence[int]]) -> None:
        """Raise unless the cached scores equal rouge-score's public API on these pairs."""
        for pair, chosen in zip(pairs, picked, strict=True):
            public = self._scorer.score(
                "\n".join(pair.reference), "\n".join(pair.sentences[i] for i in chosen)
            )
            expected = [100 * public[m].fmeasure for m in METRICS]
            if not np.allclose(self.score(pair, chosen), expected, atol=1e-9):
                raise AssertionError(f"cached ROUGE differs from rouge-score on {pair.id}")


def evaluate(
    pairs: Sequence[Pair], system: System, scorer: Scorer, rows: Sequence[int]
) -> dict[str, float]:
    """Mean ROUGE F1 x 100 and words per summary over the given pair indices."""
    totals = np.zeros(3)
    words = []
    kept: list[float] = []
    for i in rows:
        picked = system(pairs[i])
        totals += scorer.score(pairs[i], picked)
        words.append(sum(count_words(pairs[i].sentences[j]) for j in picked))
        share = facts_kept(pairs[i], picked)
        if share is not None:
            kept.append(share)
    mean = totals / max(1, len(rows))
    return {
        "rouge1": round(float(mean[0]), 2),
        "rouge2": round(float(mean[1]), 2),
        "rougeLsum": round(float(mean[2]), 2),
        "words": round(statistics.fmean(words), 1) if words else 0.0,
        "facts_kept": round(statistics.fmean(kept), 3) if kept else 0.0,
        "n": len(rows),
    }


def facts_kept(pair: Pair, picked: Sequence[int]) -> float | None:
    """The share of the reference summary's figures and names that the picked sentences carry
    (None when the reference has none)."""
    wanted = set().union(*key_facts(pair.reference, lead=len(pair.reference)))
    if not wanted:
        return None
    have = set().union(*key_facts([pair.sentences[j] for j in picked], lead=len(picked) or 1))
    return len(wanted & have) / len(wanted)


def embed(pairs: Sequence[Pair], embedder: OnnxEmbedder) -> list[float]:
    """Embed every article's sentences (one batched call per article); seconds per article."""
    embedder.embed(["warm up"])
    seconds = []
    for done, pair in enumerate(pairs, start=1):
        started = time.perf_counter()
        pair.vectors = embedder.embed(pair.sentences)
        seconds.append(time.perf_counter() - started)
        if done % 200 == 0:
            print(f"  embedded {done}/{len(pairs)}", file=sys.stderr, flush=True)
    return seconds


def grid(pairs: Sequence[Pair], scorer: Scorer, rows: Sequence[int]) -> CentralityConfig:
    """The weights with the best mean of ROUGE-1/2/Lsum at 3 sentences on the given rows."""
    best, best_value = DEFAULT_CONFIG, -1.0
    space = {
        "w_lead": [0.0, 0.1, 0.3, 0.5, 0.8],
        "lead_decay": [3.0, 8.0],
        "w_length": [0.0, 0.2, 0.5],
        "w_dangling": [0.0, 0.2],
        "w_facts": [0.0, 0.3, 0.6],
        "mmr_lambda": [0.7, 0.85, 1.0],
    }
    for values in itertools.product(*space.values()):
        config = dataclasses.replace(DEFAULT_CONFIG, **dict(zip(space, values, strict=True)))
        result = evaluate(pairs, ours(3, config), scorer, rows)
        value = (result["rouge1"] + result["rouge2"] + result["rougeLsum"]) / 3
        if value > best_value:
            best, best_value = config, value
            print(f"  {value:.2f} {config}", file=sys.stderr, flush=True)
    return best


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="ROUGE of the offline summarizer vs LEAD-3 on BBC News Summary.",
        formatter_class=argparse.RawDescriptionHelpFormatter,
        epilog=__doc__,
    )
    parser.add_argument("--data", type=Path, required=True, help="the bbc_news_summary folder")
    parser.add_argument("--limit", type=int, help="score this many pairs (spread evenly)")
    parser.add_argument("--out", type=Path, default=Path("eval/out"), help="report folder")
    parser.add_argument(
        "--grid", action="store_true", help="search the weights on the dev split first"
    )
    args = parser.parse_args(argv)
    if not (args.data / "articles").is_dir():
        print(f"error: no articles/ folder in {args.data}; pass --data", file=sys.stderr)
        return 2
    try:
        scorer = Scorer()
    except ImportError:
        print("error: rouge-score is not installed: pip install rouge-score", file=sys.stderr)
        return 2

    started = time.perf_counter()
    pairs = load_pairs(args.data, args.limit)
    print(f"{len(pairs)} pairs; embedding their sentences", file=sys.stderr)
    embedder = OnnxEmbedder.bundled()
    embed_seconds = embed(pairs, embedder)
    n_sentences = sum(len(p.sentences) for p in pairs)

    scorer.check(pairs[:50], [lead(3)(p) for p in pairs[:50]])
    everything = list(range(len(pairs)))
    dev = [i for i in everything if is_dev(pairs[i])]
    test = [i for i in everything if not is_dev(pairs[i])]
    config = grid(pairs, scorer, dev) if args.grid else DEFAULT_CONFIG

    rank_seconds = []
    for pair in pairs:
        t = time.perf_counter()
        ours(3, config)(pair)
        rank_seconds.append(time.perf_counter() - t)

    systems: dict[str, System] = {
        "lead-3": lead(3),
        "ours-3": ours(3, config),
        "ours-≤lead3-words": ours_words(config),
        "lead-40%": lead(None),
        "ours-40%": ours(None, config),
    }
    results: dict[str, dict[str, dict[str, float]]] = {}
    for name, system in systems.items():
        results[name] = {
            "all": evaluate(pairs, system, scorer, everything),
            "dev": evaluate(pairs, system, scorer, dev),
            "test": evaluate(pairs, system, scorer, test),
        }
        print(f"  scored {name}", file=sys.stderr, flush=True)

    report = {
        "pairs": len(pairs),
        "sentences": n_sentences,
        "config": dataclasses.asdict(config),
        "published": {k: dict(zip(METRICS, v, strict=True)) for k, v in PUBLISHED.items()},
        "results": results,
        "seconds_per_article": {
            "embed": round(statistics.fmean(embed_seconds), 4),
            "rank": round(statistics.fmean(rank_seconds), 5),
            "total": round(statistics.fmean(embed_seconds) + statistics.fmean(rank_seconds), 4),
        },
        "sentences_per_second": round(n_sentences / sum(embed_seconds), 1),
        "wall_seconds": round(time.perf_counter() - started, 1),
    }
    markdown = to_markdown(report)
    print(markdown)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_summary.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "bench_summary.md").write_text(markdown + "\n")
    return 0


def to_markdown(report: dict[str, object]) -> str:
    """The report as a Markdown table."""
    results = report["results"]
    assert isinstance(results, dict)
    lines = [
        f"# Offline summarizer vs LEAD on BBC News Summary ({report['pairs']} pairs)",
        "",
        "ROUGE F1 x 100 (rouge-score 0.1.2, stemmed). dev = every fifth pair (weights tuned "
        "there), test = the other four fifths. ours-3: the offline summarizer at 3 sentences; "
        "ours-≤lead3-words: as many of its sentences as fit in LEAD-3's word count for that "
        "article (equal length in words, not only in sentences); ours-40%: as many sentences "
        "as lead-40%. words = mean words per summary. reference facts kept = the share of the "
        "reference summary's figures and names that the summary carries.",
        "",
        "| system | split | ROUGE-1 | ROUGE-2 | ROUGE-Lsum | words | reference facts kept "
        "| published R1 / R2 / RLsum |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for name, splits in results.items():
        for split, r in splits.items():
            published = PUBLISHED.get(name) if split == "all" else None
            ref = " / ".join(f"{v:.2f}" for v in published) if published else ""
            lines.append(
                f"| {name} | {split} | {r['rouge1']:.2f} | {r['rouge2']:.2f} | "
                f"{r['rougeLsum']:.2f} | {r['words']:.1f} | {r.get('facts_kept', 0):.3f} | {ref} |"
            )
    seconds = report["seconds_per_article"]
    assert isinstance(seconds, dict)
    lines += [
        "",
        f"Seconds per article: {seconds['total']:.3f} (embedding {seconds['embed']:.3f}, "
        f"ranking {seconds['rank']:.4f}); {report['sentences_per_second']} sentences/s; "
        f"{report['sentences']} sentences in all.",
        f"Weights: {report['config']}",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
