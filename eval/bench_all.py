"""Every benchmark in one run: ingest, ask latency, retrieval, summary; one JSON + Markdown report.

    python eval/bench_all.py --bbc ../shared/data/bbc_news_summary \\
        --squad ../shared/data/squad2_dev_tune/squad2-tune.json --out eval/out/bench
    python eval/bench_all.py --bbc ... --squad ... --limit 100        # a quick look
    python eval/bench_all.py --squad ... --only retrieval             # one benchmark

Each benchmark is its own script (eval/bench_*.py), run as a subprocess into OUT/<name>/ with
its output in OUT/<name>/log.txt; this collects their JSON into OUT/bench_all.json and
OUT/bench_all.md (a headline table, then each script's own Markdown). `--limit N` ingests N
BBC articles (spread over the categories), asks up to N questions, scores N SQuAD questions and
N summary pairs. Exits non-zero when a benchmark failed.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
STEPS = ("ingest", "ask", "retrieval", "summary")


def _get(data: Any, *path: str) -> Any:
    for key in path:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


HEADLINES: dict[str, list[tuple[str, Callable[[Any], Any]]]] = {
    "ingest": [
        ("articles", lambda r: _get(r, "articles")),
        ("chunks/s", lambda r: _get(r, "chunks_per_s")),
        ("ingest s", lambda r: _get(r, "ingest_seconds")),
        ("no-op re-ingest s", lambda r: _get(r, "noop_reingest_seconds")),
        ("peak RSS MiB", lambda r: _get(r, "peak_rss_mb")),
    ],
    "ask": [
        ("questions", lambda r: _get(r, "questions")),
        ("p50 ms", lambda r: _get(r, "in_process_p50_ms")),
        ("p95 ms", lambda r: _get(r, "in_process_p95_ms")),
        ("cold CLI s", lambda r: _get(r, "cold_cli_median_s")),
    ],
    "retrieval": [
        ("questions", lambda r: _get(r, "questions")),
        ("hybrid recall@1", lambda r: _get(r, "hybrid", "recall@1")),
        ("hybrid recall@5", lambda r: _get(r, "hybrid", "recall@5")),
        ("hybrid MRR@10", lambda r: _get(r, "hybrid", "mrr@10")),
    ],
    "summary": [
        ("pairs", lambda r: _get(r, "pairs")),
        ("ours-3 ROUGE-1", lambda r: _get(r, "results", "ours-3", "test", "rouge1")),
        ("lead-3 ROUGE-1", lambda r: _get(r, "results", "lead-3", "test", "rouge1")),
        ("s/article", lambda r: _get(r, "seconds_per_article", "total")),
    ],
}


def subset(folder: Path, limit: int, into: Path) -> Path:
    """`limit` files of `folder`, taken round-robin from its subfolders, copied into `into`."""
    groups = [sorted(p for p in d.rglob("*") if p.is_file()) for d in sorted(folder.iterdir())]
    groups = [g for g in groups if g] or [sorted(p for p in folder.glob("*") if p.is_file())]
    picked: list[Path] = []
    index = 0
    while len(picked) < limit and any(index < len(g) for g in groups):
        picked += [g[index] for g in groups if index < len(g)][: limit - len(picked)]
        index += 1
    for path in picked:
        target = into / path.relative_to(folder)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return into


def commands(args: argparse.Namespace, work: Path) -> dict[str, list[str] | str]:
    """The command of each step, or why the step is skipped."""
    py = sys.executable
    out = args.out
    plan: dict[str, list[str] | str] = {}
    articles = None
    if args.bbc is not None:
        articles = args.bbc / "articles" if (args.bbc / "articles").is_dir() else args.bbc
        if args.limit:
            articles = subset(articles, args.limit, work / "articles")
    home = work / "home"
    if articles is None:
        plan["ingest"] = plan["ask"] = plan["summary"] = "no --bbc"
    else:
        plan["ingest"] = [
            py, str(HERE / "bench_ingest.py"), str(articles),
            "--out", str(out / "ingest"), "--home", str(home),
        ]  # fmt: skip
        questions = str(min(200, args.limit) if args.limit else 200)
        plan["ask"] = [
            py, str(HERE / "bench_ask.py"), "--home", str(home), "--library", "bench",
            "--questions", questions, "--out", str(out / "ask"),
        ]  # fmt: skip
        if not (HERE / "bench_summary.py").is_file():
            plan["summary"] = "eval/bench_summary.py does not exist"
        elif not (args.bbc / "summaries").is_dir():
            plan["summary"] = f"no summaries/ folder in {args.bbc}"
        else:
            plan["summary"] = [
                py, str(HERE / "bench_summary.py"), "--data", str(args.bbc),
                "--out", str(out / "summary"),
            ]  # fmt: skip
            if args.limit:
                plan["summary"] += ["--limit", str(args.limit)]
    if args.squad is None:
        plan["retrieval"] = "no --squad"
    else:
        plan["retrieval"] = [
            py, str(HERE / "bench_retrieval.py"), str(args.squad), "--out", str(out / "retrieval"),
        ]  # fmt: skip
        if args.limit:
            plan["retrieval"] += ["--limit", str(args.limit)]
    return {step: plan[step] for step in STEPS if not args.only or step in args.only}


def run_step(name: str, command: list[str], out: Path) -> dict[str, Any]:
    """Run one benchmark script; its log goes to OUT/<name>/log.txt, its JSON is read back."""
    folder = out / name
    folder.mkdir(parents=True, exist_ok=True)
    print(f"== {name}: {' '.join(command)}", file=sys.stderr, flush=True)
    started = time.perf_counter()
    with (folder / "log.txt").open("w") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT, cwd=HERE.parent)
    seconds = round(time.perf_counter() - started, 1)
    found = sorted(folder.glob("bench_*.json"))
    result = json.loads(found[0].read_text()) if found else None
    markdown = found[0].with_suffix(".md").read_text() if found else ""
    status = "ok" if done.returncode == 0 and result is not None else "failed"
    print(f"   {status} in {seconds} s", file=sys.stderr, flush=True)
    return {
        "status": status,
        "exit_code": done.returncode,
        "seconds": seconds,
        "command": command,
        "log": str(folder / "log.txt"),
        "result": result,
        "markdown": markdown,
    }


def to_markdown(report: dict[str, Any]) -> str:
    """A headline table over every step, then each script's own report."""
    lines = [
        f"# Benchmarks ({report['started_at']}, {report['machine']})",
        "",
        "| benchmark | status | seconds | headline |",
        "|---|---|---|---|",
    ]
    for name, step in report["steps"].items():
        if step["status"] == "skipped":
            lines.append(f"| {name} | skipped: {step['reason']} | | |")
            continue
        numbers = [
            f"{label} {value}"
            for label, pick in HEADLINES.get(name, [])
            if (value := pick(step["result"])) is not None
        ]
        lines.append(f"| {name} | {step['status']} | {step['seconds']} | {'; '.join(numbers)} |")
    for name, step in report["steps"].items():
        if step.get("markdown"):
            lines += ["", ("\n" + step["markdown"].strip()).replace("\n# ", "\n## ").lstrip()]
        elif step["status"] == "failed":
            lines += ["", f"## {name} failed (exit {step['exit_code']}): see {step['log']}"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__.splitlines()[0],
        epilog=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--bbc", type=Path, help="bbc_news_summary folder (articles/, summaries/)")
    parser.add_argument("--squad", type=Path, help="a SQuAD v1.1/v2.0 JSON file")
    parser.add_argument("--out", type=Path, default=Path("eval/out/bench"))
    parser.add_argument("--limit", type=int, default=0, help="small run: N articles/questions")
    parser.add_argument("--only", nargs="+", choices=STEPS, help="run only these benchmarks")
    args = parser.parse_args(argv)
    for label, path in (("--bbc", args.bbc), ("--squad", args.squad)):
        if path is not None and not path.exists():
            print(f"error: {label} {path} does not exist", file=sys.stderr)
            return 2
    args.out = args.out.resolve()
    started = dt.datetime.now(dt.UTC)
    work = Path(tempfile.mkdtemp(prefix="bench-all-"))
    steps: dict[str, Any] = {}
    try:
        for name, command in commands(args, work).items():
            if isinstance(command, str):
                steps[name] = {"status": "skipped", "reason": command}
            else:
                steps[name] = run_step(name, command, args.out)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    report = {
        "started_at": f"{started:%Y-%m-%d %H:%M} UTC",
        "machine": f"{platform.machine()}, {platform.python_version()}",
        "limit": args.limit or None,
        "seconds": round((dt.datetime.now(dt.UTC) - started).total_seconds(), 1),
        "steps": steps,
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_all.json").write_text(json.dumps(report, indent=2) + "\n")
    markdown = to_markdown(report)
    (args.out / "bench_all.md").write_text(markdown)
    print(markdown.split("\n\n## ")[0])
    failed = [name for name, step in steps.items() if step["status"] == "failed"]
    print(
        f"benchmarks: {len(steps) - len(failed)} of {len(steps)} ran or skipped cleanly"
        + (f", FAILED: {', '.join(failed)}" if failed else "")
        + f" ({report['seconds']} s) -> {args.out / 'bench_all.md'}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
