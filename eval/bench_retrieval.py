"""Retrieval quality on SQuAD: each paragraph is an article; the gold paragraph is the target.

    python eval/bench_retrieval.py ../shared/data/squad2_dev_tune/squad2-tune.json

Reports recall@1/5/10 and MRR for dense, BM25 and fused retrieval (answerable questions only),
prints a table and writes bench_retrieval.json / .md into --out.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
import time
from pathlib import Path

from assistant.api import Assistant
from assistant.config import Settings
from assistant.evaluation.squad import load_squad
from assistant.models import Article
from assistant.query import Query
from assistant.retrieve.pipeline import Retrieval

MODES = ("dense", "lexical", "hybrid", "rrf")
LABELS = {
    "dense": "dense (chroma, MiniLM)",
    "lexical": "BM25",
    "hybrid": "fused: normalised scores (default)",
    "rrf": "fused: reciprocal rank (k=60)",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", type=Path)
    parser.add_argument("--out", type=Path, default=Path("eval/out"))
    parser.add_argument("--limit", type=int, default=0, help="at most this many questions")
    args = parser.parse_args(argv)
    if not args.dataset.is_file():
        print(f"error: {args.dataset} not found", file=sys.stderr)
        return 2
    paragraphs, questions = load_squad(args.dataset)
    questions = [q for q in questions if q.answerable]
    if args.limit:
        questions = questions[: args.limit]
    home = Path(tempfile.mkdtemp(prefix="bench-retrieval-"))
    try:
        settings = Settings(home=home, library="squad", _env_file=None)  # type: ignore[call-arg]
        assistant = Assistant(settings)
        started = time.perf_counter()
        for p in paragraphs:
            assistant.ingest_text(p.text, title=p.title, source=p.source)
        ingest_seconds = time.perf_counter() - started
        library = assistant.library()
        parts = assistant.parts()
        retrievals = {mode: Retrieval(parts, mode) for mode in MODES}
        target = {p.source: Article.id_for(p.source) for p in paragraphs}
        ranks: dict[str, list[int | None]] = {m: [] for m in MODES}
        started = time.perf_counter()
        for q in questions:
            vector = library.embedder.embed([q.question])[0]
            for mode in MODES:
                hits = retrievals[mode].run(q.question, vector, Query(), 10)
                articles = list(dict.fromkeys(h.chunk.article_id for h in hits))
                gold = target[q.articles[0]]
                ranks[mode].append(articles.index(gold) + 1 if gold in articles else None)
        query_seconds = time.perf_counter() - started
    finally:
        shutil.rmtree(home, ignore_errors=True)

    result: dict[str, object] = {
        "dataset": str(args.dataset),
        "paragraphs": len(paragraphs),
        "questions": len(questions),
        "ingest_seconds": round(ingest_seconds, 1),
        "query_seconds": round(query_seconds, 1),
    }
    lines = [
        f"# Retrieval on {args.dataset.name}: {len(questions)} answerable questions, "
        f"{len(paragraphs)} paragraphs",
        "",
        "| mode | recall@1 | recall@5 | recall@10 | MRR@10 |",
        "|---|---|---|---|---|",
    ]
    for mode in MODES:
        r = ranks[mode]
        scores = {
            "recall@1": sum(1 for x in r if x is not None and x <= 1) / len(r),
            "recall@5": sum(1 for x in r if x is not None and x <= 5) / len(r),
            "recall@10": sum(1 for x in r if x is not None) / len(r),
            "mrr@10": sum(1 / x for x in r if x is not None) / len(r),
        }
        result[mode] = {k: round(v, 4) for k, v in scores.items()}
        lines.append(
            f"| {LABELS[mode]} | {scores['recall@1']:.3f} | "
            f"{scores['recall@5']:.3f} | {scores['recall@10']:.3f} | {scores['mrr@10']:.3f} |"
        )
    text = "\n".join(lines) + "\n"
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_retrieval.json").write_text(json.dumps(result, indent=2))
    (args.out / "bench_retrieval.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
