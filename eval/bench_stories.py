"""Story grouping on RealTimeQA pages, scored on hand-labelled page pairs (tune / held-out).

    .venv/bin/python eval/bench_stories.py ../shared/data/realtimeqa_2026_jan_apr \\
        --pairs eval/data/story_pairs.jsonl --home /tmp/rtqa-home --out /tmp/bench-stories --grid

The pages a search engine retrieved for one quiz question are *candidates* for one event, not
labels: most are older pages on the same topic. eval/data/story_pairs.jsonl holds 547 page
pairs (same question, other questions of the same week, other weeks; plus pairs of recent
pages), each read and labelled by hand as the same event or not, with a note; see the docstring
of `read_pairs` for what counts as one event. Pairs are split by week like eval/realtimeqa.py:
`tune` = the first 8 weeks, `heldout` = the last 8; no question is in both.

For each split, every page retrieved for the split's questions is grouped at once (the product's
`group_articles` over `library_features`: lead vectors from the library, names from its text),
so the labelled pairs compete with ~700 distractors. A labelled pair is predicted "same event"
when its two pages land in one story; the report gives pairwise precision, recall and F1.
`--grid` searches the weights and threshold on the tune split (F1, then precision), and the
report scores the chosen setting and the shipped default on held-out, beside two baselines:
cosine of the lead vectors alone (threshold chosen on tune), and "same question = same event".

The pages are ingested into library --library under --home first when they are not there yet
(idempotent; the local ONNX embedder; ~20 minutes on 2 cores). Writes bench_stories.json and
bench_stories.md into --out.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import itertools
import json
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from assistant.api import Assistant
from assistant.models import Article
from assistant.summarize.stories import (
    DEFAULT_CONFIG,
    ArticleFeatures,
    StoryConfig,
    cluster,
    group_articles,
    library_features,
    similarity_matrix,
)

sys.path.insert(0, str(Path(__file__).parent))
from realtimeqa import page_date, read_jsonl, weeks  # noqa: E402

TUNE_WEEKS = 8
GRID = {
    "w_names": [0.0, 0.15, 0.3, 0.45, 0.6],
    "w_days": [0.0, 0.1, 0.2, 0.3, 0.45],
    "max_days": [14, 30, 60],
    "threshold": [round(0.40 + 0.02 * i, 2) for i in range(26)],
}


@dataclasses.dataclass(frozen=True)
class Pair:
    url_a: str
    url_b: str
    question_a: str
    question_b: str
    candidate: str
    same_event: bool
    note: str


def read_pairs(path: Path) -> list[Pair]:
    """The hand-labelled pairs. Same event: both pages are mainly about one real-world event or
    its direct follow-ups (reactions, court dates, consequences within weeks): a reader would
    want them in one briefing. Not the same: one topic but different incidents, competitions
    or years; explainers and features that share no event."""
    return [Pair(**row) for row in read_jsonl(path)]


def split_of(question_id: str, stamps: Sequence[str]) -> str:
    return "tune" if question_id.split("_")[0] in stamps[:TUNE_WEEKS] else "heldout"


def split_pages(
    data: Path,
) -> tuple[dict[str, dict[str, Any]], dict[str, str], dict[str, set[str]]]:
    """(url -> page, url -> split, url -> question ids) for every page with text."""
    stamps = weeks(data)
    pages: dict[str, dict[str, Any]] = {}
    split: dict[str, str] = {}
    questions: dict[str, set[str]] = {}
    for week in stamps:
        for result in read_jsonl(data / f"{week}_gcs.jsonl"):
            qid = result["question_id"]
            for page in result.get("search_result", []):
                url = (page.get("url") or "").strip()
                if not url or not (page.get("text") or "").strip():
                    continue
                pages.setdefault(url, page)
                split.setdefault(url, split_of(qid, stamps))
                questions.setdefault(url, set()).add(qid)
    return pages, split, questions


def ensure_library(assistant: Assistant, name: str, pages: dict[str, dict[str, Any]]) -> None:
    """Ingest the pages not in the library yet (as JSONL items: url, title, text, date)."""
    known = {a.id for a in assistant.articles(name)} if _exists(assistant, name) else set()
    missing = [p for url, p in pages.items() if Article.id_for("", url) not in known]
    if not missing:
        return
    print(f"ingesting {len(missing)} pages into library {name!r} ...", file=sys.stderr)
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "pages.jsonl"
        with path.open("w", encoding="utf-8") as out:
            for page in missing:
                item = {
                    "url": page["url"],
                    "title": (page.get("title") or "").strip() or None,
                    "text": page["text"],
                    "date": page_date(page.get("publish_date")),
                }
                out.write(json.dumps({k: v for k, v in item.items() if v}) + "\n")
        report = assistant.ingest(path, library=name)
    print(report.summary(), file=sys.stderr)


def _exists(assistant: Assistant, name: str) -> bool:
    return any(info.name == name for info in assistant.libraries())


def mean_vectors(
    assistant: Assistant, name: str, features: list[ArticleFeatures]
) -> list[ArticleFeatures]:
    """The same features with the mean of all the article's chunk vectors instead of its lead."""
    library = assistant.library(name)
    owned = library.catalog.chunk_ids(name)
    out = []
    for f in features:
        vectors = library.store.vectors(owned.get(f.article_id, []))
        v = np.mean(np.stack(list(vectors.values())), axis=0) if vectors else f.vector
        out.append(dataclasses.replace(f, vector=(v / np.linalg.norm(v)).astype(np.float32)))
    return out


def score(pairs: Sequence[Pair], predicted: Sequence[bool]) -> dict[str, float | int]:
    """Pairwise precision, recall and F1 of "same event" predictions."""
    tp = sum(1 for p, y in zip(pairs, predicted, strict=True) if y and p.same_event)
    fp = sum(1 for p, y in zip(pairs, predicted, strict=True) if y and not p.same_event)
    fn = sum(1 for p, y in zip(pairs, predicted, strict=True) if not y and p.same_event)
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "pairs": len(pairs),
        "positives": tp + fn,
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "precision": round(precision, 3),
        "recall": round(recall, 3),
        "f1": round(f1, 3),
    }


def predict(
    features: Sequence[ArticleFeatures], pairs: Sequence[Pair], config: StoryConfig
) -> list[bool]:
    """Whether each pair's two pages land in one story (the product's `group_articles`)."""
    return _same_story(features, pairs, group_articles(features, config))


def _same_story(
    features: Sequence[ArticleFeatures], pairs: Sequence[Pair], groups: list[list[int]]
) -> list[bool]:
    story: dict[str, int] = {}
    for number, group in enumerate(groups):
        for i in group:
            story[features[i].article_id] = number
    return [
        story.get(Article.id_for("", p.url_a), -1) == story.get(Article.id_for("", p.url_b), -2)
        for p in pairs
    ]


def search(
    features: Sequence[ArticleFeatures], pairs: Sequence[Pair], grid: dict[str, list[Any]]
) -> tuple[StoryConfig, dict[str, float | int]]:
    """The setting with the best F1 (then precision, then smaller weights) on `pairs`. The
    similarity matrix is computed once per weighting and clustered at every threshold."""
    best: tuple[tuple[float, float, float], StoryConfig, dict[str, float | int]] | None = None
    for w_names, w_days, max_days in itertools.product(
        grid["w_names"], grid["w_days"], grid["max_days"]
    ):
        if w_days == 0 and max_days != grid["max_days"][0]:
            continue  # max_days does nothing without a day weight
        sims = similarity_matrix(features, StoryConfig(0.0, w_names, w_days, max_days))
        for threshold in grid["threshold"]:
            config = StoryConfig(threshold, w_names, w_days, max_days)
            result = score(pairs, _same_story(features, pairs, cluster(sims, threshold)))
            key = (float(result["f1"]), float(result["precision"]), -(w_names + w_days))
            if best is None or key > best[0]:
                best = (key, config, result)
    assert best is not None
    return best[1], best[2]


def same_question(pairs: Sequence[Pair]) -> list[bool]:
    return [p.question_a == p.question_b for p in pairs]


def by_candidate(pairs: Sequence[Pair], predicted: Sequence[bool]) -> dict[str, dict[str, int]]:
    out: dict[str, dict[str, int]] = {}
    for p, y in zip(pairs, predicted, strict=True):
        row = out.setdefault(p.candidate, {"pairs": 0, "same_event": 0, "correct": 0})
        row["pairs"] += 1
        row["same_event"] += p.same_event
        row["correct"] += y == p.same_event
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    stamps = weeks(args.data)
    pairs = read_pairs(args.pairs)
    pages, split, _ = split_pages(args.data)
    assistant = Assistant(home=args.home)
    ensure_library(assistant, args.library, pages)
    library = assistant.library(args.library)
    splits: dict[str, dict[str, Any]] = {}
    for name in ("tune", "heldout"):
        chosen = [p for p in pairs if split_of(p.question_a, stamps) == name]
        assert all(split_of(p.question_b, stamps) == name for p in chosen), "a pair spans splits"
        ids = {Article.id_for("", url) for url, s in split.items() if s == name}
        t = time.perf_counter()
        features = library_features(library, article_ids=sorted(ids))
        have = {f.article_id for f in features}
        usable = [
            p
            for p in chosen
            if Article.id_for("", p.url_a) in have and Article.id_for("", p.url_b) in have
        ]
        splits[name] = {
            "features": features,
            "pairs": usable,
            "dropped": len(chosen) - len(usable),
            "read_seconds": round(time.perf_counter() - t, 2),
        }
        print(
            f"{name}: {len(features)} articles, {len(usable)} labelled pairs "
            f"({sum(p.same_event for p in usable)} same event; {len(chosen) - len(usable)} "
            "dropped: a page not in the library)",
            file=sys.stderr,
        )
    tune, held = splits["tune"], splits["heldout"]
    report: dict[str, Any] = {
        "date": dt.date.today().isoformat(),
        "pairs_file": str(args.pairs),
        "splits": {
            k: {
                "articles": len(v["features"]),
                "pairs": len(v["pairs"]),
                "same_event": sum(p.same_event for p in v["pairs"]),
                "dropped": v["dropped"],
            }
            for k, v in splits.items()
        },
        "rows": [],
    }
    rows: list[dict[str, Any]] = report["rows"]

    def add(
        name: str, config: StoryConfig | None, tuned_on: str, predicted_held: list[bool]
    ) -> None:
        held_score = score(held["pairs"], predicted_held)
        tune_score = (
            score(tune["pairs"], predict(tune["features"], tune["pairs"], config))
            if config is not None
            else score(tune["pairs"], same_question(tune["pairs"]))
        )
        rows.append(
            {
                "method": name,
                "config": dataclasses.asdict(config) if config else None,
                "tuned_on": tuned_on,
                "tune": tune_score,
                "heldout": held_score,
            }
        )

    add(
        "shipped default (StoryConfig())",
        DEFAULT_CONFIG,
        "tune (this script's --grid, copied into stories.py)",
        predict(held["features"], held["pairs"], DEFAULT_CONFIG),
    )
    if args.grid:
        t = time.perf_counter()
        config, _ = search(tune["features"], tune["pairs"], GRID)
        add("grid search on tune", config, "tune", predict(held["features"], held["pairs"], config))
        cosine_grid = {**GRID, "w_names": [0.0], "w_days": [0.0]}
        config, _ = search(tune["features"], tune["pairs"], cosine_grid)
        add("lead cosine only", config, "tune", predict(held["features"], held["pairs"], config))
        if args.mean_vectors:
            tune_mean = mean_vectors(assistant, args.library, tune["features"])
            held_mean = mean_vectors(assistant, args.library, held["features"])
            config, _ = search(tune_mean, tune["pairs"], GRID)
            result = score(held["pairs"], predict(held_mean, held["pairs"], config))
            rows.append(
                {
                    "method": "mean of chunk vectors + names + days",
                    "config": dataclasses.asdict(config),
                    "tuned_on": "tune",
                    "tune": score(tune["pairs"], predict(tune_mean, tune["pairs"], config)),
                    "heldout": result,
                }
            )
        report["grid_seconds"] = round(time.perf_counter() - t, 1)
    add("baseline: same question = same event", None, "-", same_question(held["pairs"]))
    report["heldout_by_candidate"] = by_candidate(
        held["pairs"], predict(held["features"], held["pairs"], DEFAULT_CONFIG)
    )
    return report


def markdown(report: dict[str, Any]) -> str:
    lines = [
        "# Story grouping on RealTimeQA (hand-labelled page pairs)",
        "",
        f"{report['date']}; pairs from {report['pairs_file']}. Every page of a split's questions "
        "is grouped at once; a labelled pair counts as predicted 'same event' when both pages "
        "land in one story.",
        "",
        "| split | articles grouped | labelled pairs | same event | dropped |",
        "|---|---:|---:|---:|---:|",
    ]
    for name, s in report["splits"].items():
        lines.append(
            f"| {name} | {s['articles']} | {s['pairs']} | {s['same_event']} | {s['dropped']} |"
        )
    lines += [
        "",
        "| method | setting | tuned on | tune P / R / F1 | held-out P / R / F1 |",
        "|---|---|---|---|---|",
    ]
    for row in report["rows"]:
        config = row["config"]
        setting = (
            f"t={config['threshold']}, names={config['w_names']}, days={config['w_days']}"
            f"/{config['max_days']}d"
            if config
            else "-"
        )
        t, h = row["tune"], row["heldout"]
        lines.append(
            f"| {row['method']} | {setting} | {row['tuned_on']} | "
            f"{t['precision']:.3f} / {t['recall']:.3f} / {t['f1']:.3f} | "
            f"**{h['precision']:.3f} / {h['recall']:.3f} / {h['f1']:.3f}** "
            f"(tp {h['tp']}, fp {h['fp']}, fn {h['fn']}) |"
        )
    lines += ["", "Held-out, shipped default, by how the pair was drawn:", ""]
    lines += ["| candidate | pairs | same event | correct |", "|---|---:|---:|---:|"]
    for name, row in report["heldout_by_candidate"].items():
        lines.append(f"| {name} | {row['pairs']} | {row['same_event']} | {row['correct']} |")
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="the realtimeqa_2026_jan_apr folder")
    parser.add_argument("--pairs", type=Path, required=True, help="eval/data/story_pairs.jsonl")
    parser.add_argument("--home", type=Path, required=True, help="ASSISTANT_HOME for the pages")
    parser.add_argument("--library", default="rtqa", help="library of the pages (default rtqa)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the report")
    parser.add_argument("--grid", action="store_true", help="search the setting on tune")
    parser.add_argument(
        "--mean-vectors", action="store_true", help="with --grid, also try mean chunk vectors"
    )
    args = parser.parse_args(argv)
    if not weeks(args.data):
        print(f"error: no <week>_qa.jsonl with its _gcs.jsonl in {args.data}", file=sys.stderr)
        return 2
    report = run(args)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_stories.json").write_text(json.dumps(report, indent=2), encoding="utf-8")
    text = markdown(report)
    (args.out / "bench_stories.md").write_text(text, encoding="utf-8")
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
