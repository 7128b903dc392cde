"""Ask latency: in-process p50/p95 with a large library loaded, and a cold `assistant ask`.

    python eval/bench_ask.py --home /tmp/bbc-home --library bbc \\
        --ingest ../shared/data/bbc_news_summary/articles

Questions are made from the library's own headlines ("What happened: <headline>?"), so every
run asks the same realistic mix. Prints the numbers, writes bench_ask.json / .md into --out.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path

from assistant.api import Assistant
from assistant.config import Settings
from assistant.store.shared import release


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))
    return ordered[index]


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--home", type=Path, required=True, help="data directory of the library")
    parser.add_argument("--library", default="bbc")
    parser.add_argument("--ingest", type=Path, help="ingest this folder first (skipped if done)")
    parser.add_argument("--questions", type=int, default=200)
    parser.add_argument("--cold-runs", type=int, default=5)
    parser.add_argument("--engine", default="extractive")
    parser.add_argument("--out", type=Path, default=Path("eval/out"))
    args = parser.parse_args(argv)

    settings = Settings(home=args.home, library=args.library, _env_file=None)  # type: ignore[call-arg]
    assistant = Assistant(settings)
    if args.ingest:
        report = assistant.ingest(args.ingest)
        print(f"ingest: {report.summary()}")
    articles = assistant.articles()
    if not articles:
        print(
            f"error: library {args.library!r} under {args.home} is empty; use --ingest",
            file=sys.stderr,
        )
        return 2
    rng = random.Random(7)
    picked = rng.sample(articles, min(args.questions, len(articles)))
    questions = [f"What happened: {a.title.rstrip('.?!')}?" for a in picked]

    assistant.ask(questions[0], engine=args.engine)  # warm: model, BM25 index, caches
    latencies: list[float] = []
    stages: dict[str, list[float]] = {}
    abstained = 0
    for question in questions:
        started = time.perf_counter()
        answer = assistant.ask(question, engine=args.engine)
        latencies.append(time.perf_counter() - started)
        abstained += answer.abstained
        for name, seconds in answer.timings.items():
            stages.setdefault(name, []).append(seconds)

    release(args.home)  # else the cold asks would be answered by this process, as by `serve`
    env = {**os.environ, "ASSISTANT_HOME": str(args.home), "ASSISTANT_LIBRARY": args.library}
    cli = Path(sys.executable).parent / "assistant"
    cold: list[float] = []
    for question in questions[: args.cold_runs]:
        started = time.perf_counter()
        done = subprocess.run(
            [str(cli), "ask", question, "--engine", args.engine],
            env=env,
            capture_output=True,
            text=True,
        )
        cold.append(time.perf_counter() - started)
        if done.returncode != 0:
            print(done.stderr, file=sys.stderr)
            return 1

    articles_n, chunks_n = assistant.library().stats()
    result = {
        "library": args.library,
        "articles": articles_n,
        "chunks": chunks_n,
        "engine": args.engine,
        "questions": len(questions),
        "abstained": abstained,
        "in_process_p50_ms": round(1000 * statistics.median(latencies), 1),
        "in_process_p95_ms": round(1000 * percentile(latencies, 0.95), 1),
        "in_process_max_ms": round(1000 * max(latencies), 1),
        "stage_p50_ms": {k: round(1000 * statistics.median(v), 1) for k, v in stages.items()},
        "cold_cli_runs_s": [round(x, 2) for x in cold],
        "cold_cli_median_s": round(statistics.median(cold), 2),
    }
    lines = [
        f"# Ask latency: {args.engine} engine, library {args.library!r} "
        f"({articles_n} articles, {chunks_n} chunks)",
        "",
        "| measure | value |",
        "|---|---|",
        f"| questions | {len(questions)} ({abstained} abstained) |",
        f"| in-process p50 | {result['in_process_p50_ms']} ms |",
        f"| in-process p95 | {result['in_process_p95_ms']} ms |",
        f"| in-process max | {result['in_process_max_ms']} ms |",
        f"| stage p50 (ms) | {result['stage_p50_ms']} |",
        f"| cold `assistant ask` median of {len(cold)} | {result['cold_cli_median_s']} s |",
        "",
    ]
    text = "\n".join(lines)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_ask.json").write_text(json.dumps(result, indent=2))
    (args.out / "bench_ask.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
