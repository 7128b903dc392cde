"""Ingest benchmark: a folder into a fresh library, then a no-op re-ingest, then the raw embedder.

    python eval/bench_ingest.py ../shared/data/bbc_news_summary/articles --out eval/out

Prints the numbers and writes bench_ingest.json and bench_ingest.md into --out.
"""

from __future__ import annotations

import argparse
import json
import platform
import resource
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from assistant.api import Assistant
from assistant.config import Settings
from assistant.embeddings import MAX_WORDPIECES, OnnxEmbedder


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MiB."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def disk_mb(path: Path) -> float:
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20


def run(folder: Path, home: Path, limit_label: str) -> dict[str, Any]:
    settings = Settings(home=home, library="bench", _env_file=None)  # type: ignore[call-arg]
    assistant = Assistant(settings)
    started = time.perf_counter()
    report = assistant.ingest(folder)
    first_seconds = time.perf_counter() - started
    rss_after_ingest = peak_rss_mb()
    library = assistant.library("bench")
    stored = library.catalog.all("bench")
    chunk_ids = [i for s in stored for i in s.chunk_ids]
    chunks = library.store.get(chunk_ids)
    n_tokens = sum(c.n_tokens for c in chunks)

    started = time.perf_counter()
    again = Assistant(settings).ingest(folder)
    noop_seconds = time.perf_counter() - started

    embedder = assistant.embedder
    assert isinstance(embedder, OnnxEmbedder)
    texts = [c.text for c in chunks]
    fresh = OnnxEmbedder.bundled(batch_size=embedder.batch_size)
    fresh.embed(texts[:8])  # load the model outside the timing
    started = time.perf_counter()
    for first in range(0, len(texts), 64):
        fresh.embed(texts[first : first + 64])
    raw_seconds = time.perf_counter() - started
    wordpieces = fresh.count_wordpieces(texts)
    overflow = sum(1 for n in wordpieces if n > MAX_WORDPIECES)

    pipeline_cps = len(chunks) / first_seconds
    raw_cps = len(chunks) / raw_seconds
    return {
        "input": limit_label,
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "counts": report.counts,
        "articles": len(stored),
        "chunks": len(chunks),
        "tokens": n_tokens,
        "ingest_seconds": round(first_seconds, 2),
        "articles_per_s": round(len(stored) / first_seconds, 2),
        "chunks_per_s": round(pipeline_cps, 2),
        "tokens_per_s": round(n_tokens / first_seconds, 1),
        "peak_rss_mb": round(rss_after_ingest, 1),
        "disk_mb": round(disk_mb(home), 1),
        "noop_reingest_seconds": round(noop_seconds, 2),
        "noop_counts": again.counts,
        "raw_embedder_seconds": round(raw_seconds, 2),
        "raw_embedder_chunks_per_s": round(raw_cps, 2),
        "pipeline_share_of_raw": round(pipeline_cps / raw_cps, 3),
        "wordpiece_overflow_share": round(overflow / max(1, len(chunks)), 4),
        "wordpiece_overflow_chunks": overflow,
        "chunk_tokens_setting": settings.chunk_tokens,
        "embed_batch_size": settings.embed_batch_size,
        "failed": [i.model_dump(mode="json") for i in report.failed],
    }


def markdown(result: dict[str, Any]) -> str:
    rows = [
        ("articles ingested", result["articles"]),
        ("chunks", result["chunks"]),
        ("ingest time (s)", result["ingest_seconds"]),
        ("articles/s", result["articles_per_s"]),
        ("chunks/s", result["chunks_per_s"]),
        ("cl100k tokens/s", result["tokens_per_s"]),
        ("raw embedder chunks/s (same chunks)", result["raw_embedder_chunks_per_s"]),
        ("pipeline / raw embedder", f"{result['pipeline_share_of_raw']:.1%}"),
        ("peak RSS (MiB)", result["peak_rss_mb"]),
        ("disk (MiB)", result["disk_mb"]),
        ("no-op re-ingest (s)", result["noop_reingest_seconds"]),
        ("chunks over 256 WordPieces", f"{result['wordpiece_overflow_share']:.2%}"),
    ]
    lines = [f"# Ingest benchmark: {result['input']}", "", "| measure | value |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in rows]
    lines += ["", f"counts: {result['counts']}; no-op counts: {result['noop_counts']}", ""]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folder", type=Path)
    parser.add_argument("--out", type=Path, default=Path("eval/out"))
    parser.add_argument("--home", type=Path, help="data directory (default: a fresh temp dir)")
    args = parser.parse_args(argv)
    if not args.folder.is_dir():
        print(f"error: {args.folder} is not a folder", file=sys.stderr)
        return 2
    home = args.home or Path(tempfile.mkdtemp(prefix="bench-ingest-"))
    try:
        result = run(args.folder, home, str(args.folder))
    finally:
        if args.home is None:
            shutil.rmtree(home, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_ingest.json").write_text(json.dumps(result, indent=2))
    text = markdown(result)
    (args.out / "bench_ingest.md").write_text(text)
    print(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
