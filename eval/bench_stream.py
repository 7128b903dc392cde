"""Peak memory and time of ingesting one big JSONL file of news pages, as `assistant ingest` does.

    python eval/bench_stream.py --realtimeqa ../shared/data/realtimeqa_2026_jan_apr \\
        --bbc ../shared/data/bbc_news_summary/articles --pages 1622 --out eval/out/stream

Builds one JSONL of `--pages` real news pages (every distinct RealTimeQA page, then BBC articles
until the count is reached) in a temporary folder, runs `assistant ingest FILE --quiet` in a
fresh ASSISTANT_HOME in a subprocess and reports its peak RSS (the kernel's ru_maxrss of the
child), wall time, articles and chunks. `--python` and `--pythonpath` run another checkout's
code for a before/after comparison. The data stays out of the repository.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def build(realtimeqa: Path, bbc: Path | None, pages: int, out: Path) -> int:
    """Write the JSONL; the number of pages written."""
    seen: set[str] = set()
    written = 0
    with out.open("w", encoding="utf-8") as f:
        for path in sorted(realtimeqa.glob("*_gcs.jsonl")):
            for line in path.read_text(encoding="utf-8").splitlines():
                for page in json.loads(line).get("search_result", []):
                    url, text = page.get("url") or "", (page.get("text") or "").strip()
                    if not url or not text or url in seen or written >= pages:
                        continue
                    seen.add(url)
                    record = {"url": url, "title": page.get("title") or "", "text": text}
                    f.write(json.dumps(record) + "\n")
                    written += 1
        for path in sorted(bbc.rglob("*.txt")) if bbc else []:
            if written >= pages:
                break
            raw = path.read_bytes().decode("utf-8", errors="replace")
            title, _, body = raw.partition("\n")
            record = {"id": str(path.relative_to(bbc)), "title": title.strip(), "text": body}
            f.write(json.dumps(record) + "\n")
            written += 1
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realtimeqa", type=Path, required=True)
    parser.add_argument("--bbc", type=Path, help="BBC articles folder, to reach --pages")
    parser.add_argument("--pages", type=int, default=1622)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--python", default=sys.executable, help="interpreter to run")
    parser.add_argument("--pythonpath", help="another checkout's root, for a before/after run")
    parser.add_argument("--label", default="this checkout")
    args = parser.parse_args(argv)
    work = Path(tempfile.mkdtemp(prefix="bench-stream-"))
    try:
        data = work / "news.jsonl"
        pages = build(args.realtimeqa, args.bbc, args.pages, data)
        env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
        env["ASSISTANT_HOME"] = str(work / "home")
        if args.pythonpath:
            env["PYTHONPATH"] = args.pythonpath
        started = time.perf_counter()
        done = subprocess.run(
            [args.python, "-m", "assistant.cli", "ingest", str(data), "--json"],
            env=env,
            capture_output=True,
            text=True,
        )
        seconds = time.perf_counter() - started
        peak_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
        if done.returncode not in (0, 1):
            print(done.stderr[-2000:], file=sys.stderr)
            return 1
        report = json.loads(done.stdout)
        items = report["items"]
        result = {
            "label": args.label,
            "pages": pages,
            "file_mb": round(data.stat().st_size / 1e6, 1),
            "seconds": round(seconds, 1),
            "peak_rss_mb": round(peak_mb),
            "added": sum(i["status"] == "added" for i in items),
            "duplicates": sum(i["status"] == "duplicate" for i in items),
            "failed": sum(i["status"] == "failed" for i in items),
            "chunks": sum(i["n_chunks"] for i in items),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)
    args.out.mkdir(parents=True, exist_ok=True)
    name = args.label.replace(" ", "-")
    (args.out / f"stream-{name}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
