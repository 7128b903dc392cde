"""Embedded vs server setup on the same articles: ingest throughput, memory, ask latency.

    python eval/bench_servers.py ../shared/data/bbc_news_summary/articles --limit 300 \\
        --repeat 2 --out eval/out/servers

Copies --limit files spread over the folder (every n-th, sorted by path) into a temporary
folder, then for each setup: ingests them with `assistant ingest` in a fresh process (wall
time, articles/s, chunks/s, the process's peak RSS; --repeat runs per setup, alternating
between the setups, the fastest reported), and runs --askers asker processes at once on the
last library, each asking --questions questions after one warm-up question (latency p50/p95
over all of them). The embedded setup keeps everything in one ASSISTANT_HOME; the server
setup uses a PostgreSQL and a Chroma server that the script starts (as the tests do,
tests/servers.py) and gives every process a home of its own. The embedder is the configured
one (the bundled MiniLM by default) and the engine the extractive one. Writes
bench_servers.json and bench_servers.md into --out.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from servers import Chroma, Postgres, start_chroma, start_postgres  # noqa: E402

ASKER = """
import json, sys, time
from pathlib import Path
from assistant.api import Assistant
questions = json.loads(Path(sys.argv[1]).read_text())
go = Path(sys.argv[2])
assistant = Assistant()
assistant.ask(questions[0])  # warm-up: model, stores, keyword index
print("ready", flush=True)
while not go.exists():
    time.sleep(0.01)
latencies = []
for question in questions:
    started = time.perf_counter()
    assistant.ask(question)
    latencies.append(time.perf_counter() - started)
print(json.dumps(latencies), flush=True)
"""


def subset(data: Path, limit: int, into: Path) -> int:
    """Copy `limit` files spread evenly over `data` (every n-th, sorted by path) into `into`,
    keeping their relative paths; how many."""
    files = sorted(p for p in data.rglob("*") if p.is_file() and not p.name.startswith("."))
    picked = files[:: max(1, len(files) // limit)][:limit]
    for path in picked:
        target = into / path.relative_to(data)
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, target)
    return len(picked)


def environment(home: Path, servers: dict[str, str], library: str) -> dict[str, str]:
    own = ("ASSISTANT_EMBEDDER", "ASSISTANT_MODEL_DIR", "ASSISTANT_PLUGINS")  # yours to choose
    keep = {
        k: v
        for k, v in os.environ.items()
        if k in own or not k.startswith(("ASSISTANT_", "OPENAI_"))
    }
    path = os.pathsep.join(p for p in (str(ROOT), os.environ.get("PYTHONPATH", "")) if p)
    return {
        **keep,
        **servers,
        "ASSISTANT_HOME": str(home),
        "ASSISTANT_LIBRARY": library,
        "PYTHONPATH": path,
    }


def run_measured(command: list[str], env: dict[str, str]) -> tuple[float, float, str, str]:
    """(seconds, peak RSS in MiB, stdout, stderr) of a child process."""
    with tempfile.TemporaryFile() as out_file, tempfile.TemporaryFile() as err_file:
        started = time.perf_counter()
        process = subprocess.Popen(command, env=env, stdout=out_file, stderr=err_file)
        _, status, usage = os.wait4(process.pid, 0)
        seconds = time.perf_counter() - started
        out_file.seek(0)
        err_file.seek(0)
        out, err = out_file.read().decode(), err_file.read().decode()
    code = os.waitstatus_to_exitcode(status)
    process.returncode = code
    if code:
        raise SystemExit(f"{' '.join(command[:4])} failed ({code}):\n{err}")
    return seconds, usage.ru_maxrss / 1024, out, err


def ingest(folder: Path, env: dict[str, str]) -> dict[str, Any]:
    seconds, rss, out, _ = run_measured(
        [sys.executable, "-m", "assistant.cli", "ingest", str(folder), "--json"], env
    )
    report = json.loads(out)
    articles = report["counts"]["added"]
    chunks = sum(i.get("n_chunks") or 0 for i in report["items"] if i["status"] == "added")
    return {
        "seconds": round(seconds, 1),
        "articles": articles,
        "duplicates": report["counts"]["duplicate"],
        "chunks": chunks,
        "articles_per_s": round(articles / seconds, 2),
        "chunks_per_s": round(chunks / seconds, 2),
        "peak_rss_mb": round(rss),
    }


def ask(
    envs: list[dict[str, str]], questions: list[list[str]], work: Path
) -> tuple[dict[str, Any], list[float]]:
    go = work / "go"
    go.unlink(missing_ok=True)
    processes = []
    for n, (env, asked) in enumerate(zip(envs, questions, strict=True)):
        path = work / f"questions-{n}.json"
        path.write_text(json.dumps(asked))
        processes.append(
            subprocess.Popen(
                [sys.executable, "-c", ASKER, str(path), str(go)],
                env=env,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    for process in processes:
        assert process.stdout is not None
        line = process.stdout.readline()
        if line.strip() != "ready":
            raise SystemExit(f"an asker failed:\n{line}{process.communicate()[1]}")
    started = time.perf_counter()
    go.touch()
    latencies: list[float] = []
    for process in processes:
        out, err = process.communicate(timeout=1800)
        if process.returncode:
            raise SystemExit(f"an asker failed:\n{err}")
        latencies += json.loads(out.strip().splitlines()[-1])
    wall = time.perf_counter() - started
    ms = sorted(x * 1000 for x in latencies)
    return {
        "askers": len(envs),
        "questions": len(ms),
        "p50_ms": round(statistics.median(ms)),
        "p95_ms": round(ms[min(len(ms) - 1, int(0.95 * len(ms)))]),
        "max_ms": round(ms[-1]),
        "questions_per_s": round(len(ms) / wall, 2),
    }, latencies


def questions_from(folder: Path, askers: int, per_asker: int) -> list[list[str]]:
    """Questions from the articles' first lines (their titles), spread over the askers."""
    titles = []
    for path in sorted(p for p in folder.rglob("*") if p.is_file()):
        first = path.read_text(encoding="utf-8", errors="replace").strip().splitlines()
        if first and first[0].strip():
            titles.append(first[0].strip())
    asked = [f"What happened: {t}?" for t in titles]
    need = askers * per_asker
    picked = [asked[(i * 7) % len(asked)] for i in range(need)]
    return [picked[n::askers] for n in range(askers)]


def server_memory(postgres: Postgres, chroma: Chroma) -> dict[str, int]:
    """Memory in MiB: PostgreSQL's processes now (proportional set size, so shared buffers
    count once), and the Chroma server's peak resident size."""

    def status(pid: str, field: str, name: str = "status") -> int:
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(field + ":"):
                    return int(line.split()[1]) // 1024
        except OSError:
            pass
        return 0

    postgres_total = 0
    for proc in Path("/proc").iterdir():
        if proc.name.isdigit():
            try:
                exe = os.readlink(proc / "exe")
            except OSError:
                continue
            if exe.startswith(str(postgres.bin)):
                postgres_total += status(proc.name, "Pss", "smaps_rollup")
    return {
        "postgres_pss_mb": postgres_total,
        "chroma_peak_rss_mb": status(str(chroma.process.pid), "VmHWM"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("data", type=Path, help="a folder of articles")
    parser.add_argument("--limit", type=int, default=300, help="files to ingest")
    parser.add_argument("--askers", type=int, default=4, help="concurrent asker processes")
    parser.add_argument("--questions", type=int, default=25, help="questions per asker")
    parser.add_argument(
        "--repeat", type=int, default=1, help="ingest runs per setup (alternating); the fastest"
    )
    parser.add_argument("--out", type=Path, default=ROOT / "eval" / "out" / "servers")
    args = parser.parse_args()
    if not args.data.is_dir():
        raise SystemExit(f"{args.data} is not a folder")

    work = Path(tempfile.mkdtemp(prefix="bench-servers-"))
    postgres = chroma = None
    try:
        corpus = work / "articles"
        n_files = subset(args.data, args.limit, corpus)
        questions = questions_from(corpus, args.askers, args.questions)
        print("starting PostgreSQL and a Chroma server", flush=True)
        postgres = start_postgres()
        chroma = start_chroma(work / "chroma")
        runs: dict[str, list[dict[str, Any]]] = {"embedded": [], "server": []}
        envs: dict[str, list[dict[str, str]]] = {}
        for run in range(args.repeat):  # alternate, so both see the same machine load
            library = f"bench-{run}"
            servers = {
                "ASSISTANT_DATABASE_URL": postgres.database(f"bench_{run}"),
                "ASSISTANT_CHROMA_URL": chroma.url,
            }
            for kind in ("embedded", "server"):
                print(f"{kind}: ingesting {n_files} files (run {run + 1})", flush=True)
                if kind == "embedded":
                    home = work / f"embedded-{run}"
                    envs[kind] = [environment(home, {}, library)] * (args.askers + 1)
                else:
                    envs[kind] = [
                        environment(work / f"server-{run}-{n}", servers, library)
                        for n in range(args.askers + 1)
                    ]
                runs[kind].append(ingest(corpus, envs[kind][0]))
        results: dict[str, Any] = {}
        for kind in ("embedded", "server"):
            best = min(runs[kind], key=lambda r: r["seconds"])
            results[kind] = {"ingest": best, "ingest_seconds": [r["seconds"] for r in runs[kind]]}
            print(f"{kind}: {args.askers} askers", flush=True)
            results[kind]["ask"], _ = ask(envs[kind][1:], questions, work)
        results["server"]["servers"] = server_memory(postgres, chroma)
    finally:
        if chroma is not None:
            chroma.stop()
        if postgres is not None:
            postgres.stop()
        shutil.rmtree(work, ignore_errors=True)

    meta = {
        "data": str(args.data),
        "files": n_files,
        "askers": args.askers,
        "questions_per_asker": args.questions,
        "repeat": args.repeat,
        "load_average": [round(x, 1) for x in os.getloadavg()],
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "embedder": os.environ.get("ASSISTANT_EMBEDDER", "local-minilm"),
        "engine": "extractive",
    }
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "bench_servers.json").write_text(json.dumps({**meta, **results}, indent=2) + "\n")
    table = render(meta, results)
    (args.out / "bench_servers.md").write_text(table)
    print(table)


def render(meta: dict[str, Any], results: dict[str, Any]) -> str:
    rows = [
        ("ingest wall time (fastest run)", "s", lambda r: r["ingest"]["seconds"]),
        ("ingest wall time, every run", "s", lambda r: ", ".join(map(str, r["ingest_seconds"]))),
        (
            "articles (duplicates)",
            "",
            lambda r: f"{r['ingest']['articles']} ({r['ingest']['duplicates']})",
        ),
        ("chunks", "", lambda r: r["ingest"]["chunks"]),
        ("ingest throughput", "articles/s", lambda r: r["ingest"]["articles_per_s"]),
        ("ingest throughput", "chunks/s", lambda r: r["ingest"]["chunks_per_s"]),
        ("ingest process peak RSS", "MiB", lambda r: r["ingest"]["peak_rss_mb"]),
        ("ask latency p50", "ms", lambda r: r["ask"]["p50_ms"]),
        ("ask latency p95", "ms", lambda r: r["ask"]["p95_ms"]),
        ("ask latency max", "ms", lambda r: r["ask"]["max_ms"]),
        ("questions answered per second", "q/s", lambda r: r["ask"]["questions_per_s"]),
    ]
    lines = [
        f"# Embedded vs server: {meta['files']} files from {meta['data']}",
        "",
        f"{meta['machine']}; embedder {meta['embedder']}, engine {meta['engine']}; "
        f"{meta['askers']} asker processes x {meta['questions_per_asker']} questions; "
        f"{meta['repeat']} ingest run(s) per setup; load average at the end "
        f"{meta['load_average']}.",
        "",
        "| measure | unit | embedded | server |",
        "|---|---|---|---|",
    ]
    for name, unit, value in rows:
        lines.append(
            f"| {name} | {unit} | {value(results['embedded'])} | {value(results['server'])} |"
        )
    memory = results["server"]["servers"]
    lines += [
        "",
        f"Server processes: PostgreSQL {memory['postgres_pss_mb']} MiB (all its processes, "
        f"proportional set size, at the end), Chroma server peak RSS "
        f"{memory['chroma_peak_rss_mb']} MiB.",
        "",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    main()
