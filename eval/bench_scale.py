"""How the assistant holds up as a library grows: 20k, 200k and 1M chunks.

    python eval/bench_scale.py --realtimeqa ../shared/data/realtimeqa_2026_jan_apr \\
        --bbc ../shared/data/bbc_news_summary/articles --cache ~/scale-cache \\
        --sizes 20000,200000,1000000 --out eval/out/scale

The 20k library is real: every RealTimeQA page and BBC article ingested with the real embedder
(`assistant ingest`), which also measures first-ingest throughput against the bare embedder on
the same chunk texts. The larger ones copy that library's chunks (the same texts, each copy's
vectors the real ones plus small noise, renormalised) straight through the store and catalog
APIs until they reach the size: synthetic, and the report says so. Built libraries are cached
under --cache (outside the repository) and reused.

Per size: adding 1 and 100 new articles (in process, real embeddings; throughput against the
bare embedder timed just before and just after, the median of three rounds of 100), deleting 1,
ask p50/p95 in process (extractive; then again after `warm_up(freeze=True)`, as `assistant
serve` and `ui` run), retrieval p50/p95 by retriever and of a bare Chroma query at the same
size, interleaved question by question, a cold `assistant ask` (no process holding the library;
and with `assistant serve` holding it), peak RSS of a process that opens the library and asks,
the same two for a process that only opens the chroma collection and runs one query (the floor
chroma sets under both), and the size on disk. Keyword search is also compared with FTS5's
exact ranking on every RealTimeQA question (agreement of the 24 best, both latencies); a cached
library from before the impact lists gets them built first, and that one-time build is timed;
one from before the catalog kept a float16 copy of each vector gets the copies from chroma
first (also timed).
"""

from __future__ import annotations

import argparse
import gc
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from assistant.api import Assistant
from assistant.config import Settings
from assistant.models import Chunk, sha256_hex
from assistant.query import Query
from assistant.retrieve.pipeline import Retrieval
from assistant.store.catalog import StoredArticle, packed
from assistant.store.shared import release
from assistant.store.sqlite_catalog import SqliteCatalog, SqliteLexical

ANSWERS = 60  # questions whose answers are compared with and without the impact lists
BARE_SAMPLE = 2000  # chunks the bare embedder is timed on
INGEST_ROUNDS = 3  # 100-article ingests timed against the bare embedder (the median is reported)
QUESTIONS = [
    "Which country did the US and Israel launch military strikes against?",
    "Who won the Super Bowl?",
    "How much did quarterly profits rise at Time Warner?",
    "What did the Bank of England do with interest rates?",
    "Which company announced layoffs this week?",
    "Where was the earthquake?",
    "Who is the new prime minister?",
    "How many people died in the storm?",
    "What did the president say about tariffs?",
    "Which team won the championship?",
]


def quiz_questions(realtimeqa: Path) -> list[str]:
    """Every RealTimeQA question (for keyword search's agreement with FTS5 and its timing)."""
    return [
        json.loads(line)["question_sentence"]
        for path in sorted(realtimeqa.glob("*_qa.jsonl"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]


def fill_vectors(library: Any, page: int = 5000) -> dict[str, Any]:
    """Copy chroma's vectors into catalog rows written before the catalog kept them (a
    one-time migration of a cached library; timed)."""
    catalog = library.catalog
    if not isinstance(catalog, SqliteCatalog):
        return {}
    started, filled, last = time.perf_counter(), 0, 0
    while True:
        rows = catalog._rows(
            "SELECT n, id, library = ? AND vector IS NULL FROM chunks WHERE n > ? ORDER BY n "
            "LIMIT ?",
            (library.name, last, page),
        )
        if not rows:
            break
        last = int(str(rows[-1][0]))
        empty = [str(chunk_id) for _, chunk_id, missing in rows if missing]
        found = library.store.vectors(empty) if empty else {}
        have = [c for c in empty if c in found]
        if have:
            blobs = packed(np.stack([found[c] for c in have]))
            updates = [(b, library.name, c) for b, c in zip(blobs, have, strict=True)]
            with catalog.transaction():
                catalog._db.executemany(
                    "UPDATE chunks SET vector = ? WHERE library = ? AND id = ?", updates
                )
        filled += len(have)
    if not filled:
        return {}
    return {"vectors_filled": filled, "vectors_fill_s": round(time.perf_counter() - started, 1)}


def keyword_index(library: Any, questions: list[str]) -> dict[str, Any]:
    """Keyword search from the impact lists against FTS5's exact bm25 over every matching
    chunk, on the same questions, and both latencies. Agreement is rank by rank: the share of
    the 24 ranks where both give the same chunk or the same score within 0.5% (the synthetic
    libraries hold many copies of each text, whose ties either may break; FTS5's tokenizer also
    splits a few index terms, at underscores, so its scores can differ slightly), and of
    questions whose best result agrees. Builds the lists first when the cached library is older
    than them (timed: a one-time migration)."""
    catalog = library.catalog
    out: dict[str, Any] = {}
    if not isinstance(catalog, SqliteCatalog):
        return out
    (built,) = catalog._rows("SELECT top_built FROM libraries WHERE name = ?", (library.name,))[0]
    if not built:
        started = time.perf_counter()
        catalog.reindex(library.name)
        out["keyword_index_build_s"] = round(time.perf_counter() - started, 1)
    lexical = catalog.lexical(library.name)
    agree, same_best, fast, slow = [], [], [], []
    for question in questions:
        started = time.perf_counter()
        exact = lexical.exact(question, 24)
        slow.append(time.perf_counter() - started)
        started = time.perf_counter()
        found = lexical.search(question, 24)
        fast.append(time.perf_counter() - started)
        if exact:
            same = agrees(found, exact)
            agree.append(sum(same) / len(exact))
            same_best.append(same[0])
    out["keyword_questions"] = len(agree)
    out["keyword_agreement_at_24"] = round(statistics.mean(agree), 3)
    out["keyword_same_best"] = round(statistics.mean(same_best), 3)
    out["keyword_p50_ms"], out["keyword_p95_ms"] = percentiles(fast)
    out["keyword_fts5_exact_p50_ms"], out["keyword_fts5_exact_p95_ms"] = percentiles(slow)
    return out


def agrees(ours: list[tuple[str, float]], exact: list[tuple[str, float]]) -> list[bool]:
    """Rank by rank: the same chunk, or the same score within 0.5% (a tie broken otherwise)."""
    return [
        i < len(ours) and (ours[i][0] == c or abs(ours[i][1] - v) <= 0.005 * abs(v))
        for i, (c, v) in enumerate(exact)
    ]


@contextmanager
def exact_keywords() -> Iterator[None]:
    """Keyword search ranked by FTS5 over every matching chunk, as before the impact lists."""
    fast = SqliteLexical.search
    SqliteLexical.search = SqliteLexical.exact  # type: ignore[method-assign]
    try:
        yield
    finally:
        SqliteLexical.search = fast  # type: ignore[method-assign]


def downstream(assistant: Assistant, questions: list[str], answers: int) -> dict[str, Any]:
    """What the impact lists change for users: hybrid retrieval's 6 best (rank by rank, as
    `agrees`) and the extractive answer's text on the first `answers` questions, each against
    the same with FTS5's exact keyword ranking."""
    retrieval = Retrieval(assistant.parts(), "hybrid")
    vectors = assistant.embedder.embed(questions)

    def run() -> tuple[list[list[tuple[str, float]]], list[str]]:
        hits = [
            [(h.chunk.id, h.score) for h in retrieval.run(q, v, Query(), 6)]
            for q, v in zip(questions, vectors, strict=True)
        ]
        texts = [assistant.ask(q, engine="extractive").text for q in questions[:answers]]
        return hits, texts

    ours, our_texts = run()
    with exact_keywords():
        exact, exact_texts = run()
    same = [agrees(o, e) for o, e in zip(ours, exact, strict=True) if e]
    return {
        "hybrid_agreement_at_6": round(statistics.mean(sum(s) / len(s) for s in same), 3),
        "answers_compared": len(our_texts),
        "answers_same": round(
            statistics.mean(a == b for a, b in zip(our_texts, exact_texts, strict=True)), 3
        ),
    }


def percentiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    p95 = ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]
    return round(statistics.median(ordered) * 1000, 1), round(p95 * 1000, 1)


def environment(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ASSISTANT_", "OPENAI_"))}
    env["ASSISTANT_HOME"] = str(home)
    return env


def build_base(home: Path, realtimeqa: Path, bbc: Path) -> dict[str, Any]:
    """The real library (cached): RealTimeQA pages and BBC articles, ingested by the CLI."""
    marker = home / "base.json"
    if marker.is_file():
        return dict(json.loads(marker.read_text()))
    sys.path.insert(0, str(Path(__file__).parent))
    from bench_stream import build

    home.mkdir(parents=True, exist_ok=True)
    ingested = home / "ingest.json"  # written once the ingest is done: a rerun does not redo it
    if not ingested.is_file():
        pages = home.parent / "base-pages.jsonl"
        build(realtimeqa, None, 10**9, pages)
        started = time.perf_counter()
        for source in (pages, bbc):
            subprocess.run(
                [sys.executable, "-m", "assistant.cli", "ingest", str(source), "--quiet"],
                env=environment(home),
                check=False,
            )
        ingested.write_text(json.dumps({"seconds": time.perf_counter() - started}))
    seconds = float(json.loads(ingested.read_text())["seconds"])
    assistant = Assistant(Settings(home=home, _env_file=None))  # type: ignore[call-arg]
    library = assistant.library()
    texts = [c.text for c in library.catalog.iter_chunks(library.name)]
    # The bare embedder on an even sample of the same chunks (embedding all of them again
    # would double the build for the same rate).
    sample = texts[:: max(1, len(texts) // BARE_SAMPLE)]
    bare = time.perf_counter()
    for first in range(0, len(sample), 256):
        assistant.embedder.embed(sample[first : first + 256])
    bare_seconds = time.perf_counter() - bare
    info = {
        "chunks": len(texts),
        "articles": library.stats()[0],
        "ingest_seconds": round(seconds, 1),
        "ingest_chunks_per_s": round(len(texts) / seconds, 1),
        "bare_embedder_chunks_per_s": round(len(sample) / bare_seconds, 1),
        "bare_sample_chunks": len(sample),
    }
    marker.write_text(json.dumps(info))
    return info


def grow(base: Path, home: Path, size: int) -> None:
    """Copy the base library's chunks (texts; vectors plus noise) until `size` chunks."""
    if (home / "grown.json").is_file():
        return
    shutil.rmtree(home, ignore_errors=True)
    # Start from the largest smaller library already grown (its copies are made the same way).
    smaller = [
        p
        for p in home.parent.glob("size-*")
        if (p / "grown.json").is_file() and int(p.name.split("-")[1]) < size
    ]
    start = max(smaller, key=lambda p: int(p.name.split("-")[1]), default=base)
    shutil.copytree(start, home, ignore=shutil.ignore_patterns("chroma.sock", "chroma.lock"))
    (home / "grown.json").unlink(missing_ok=True)
    assistant = Assistant(Settings(home=home, _env_file=None))  # type: ignore[call-arg]
    library = assistant.library()
    real = Assistant(Settings(home=base, _env_file=None)).library()  # type: ignore[call-arg]
    originals = [real.catalog.get(real.name, s.article.id) for s in real.catalog.all(real.name)]
    chunks_of = {s.article.id: real.catalog.chunks(real.name, s.article.id) for s in originals if s}
    every = [c.id for chunks in chunks_of.values() for c in chunks]
    vectors: dict[str, np.ndarray] = {}
    for first in range(0, len(every), 2000):
        vectors.update(real.store.vectors(every[first : first + 2000]))
    rng = np.random.default_rng(7)
    pool = ThreadPoolExecutor(max_workers=1)
    have = library.stats()[1]
    copy = 0
    batch_chunks: list[Chunk] = []
    batch_vectors: list[np.ndarray] = []
    rows: list[tuple[StoredArticle, list[Chunk], list[bytes]]] = []

    def restore(batch: list[tuple[StoredArticle, list[Chunk], list[bytes]]]) -> None:
        with library.catalog.transaction():  # type: ignore[attr-defined]
            for row, moved, kept in batch:
                library.catalog.restore(library.name, row, moved, kept)

    def flush() -> None:
        if batch_chunks:
            # The catalog's rows are written in a worker thread while chroma takes the vectors.
            pending = pool.submit(restore, list(rows))
            library.store.add(batch_chunks, np.stack(batch_vectors).astype(np.float32))
            pending.result()
        batch_chunks.clear()
        batch_vectors.clear()
        rows.clear()

    while have < size:
        copy += 1
        for full in originals:
            if full is None or have >= size:
                continue
            chunks = chunks_of[full.article.id]
            tag = f"{size}.{copy}"  # unique per grown size: a larger one starts from a smaller
            new_id = f"{full.article.id}~{tag}"
            moved = [
                c.model_copy(update={"id": sha256_hex(c.id, tag), "article_id": new_id})
                for c in chunks
            ]
            noisy = [vectors[c.id] + rng.normal(0, 0.01, 384).astype(np.float32) for c in chunks]
            unit = [v / np.linalg.norm(v) for v in noisy]
            batch_vectors.extend(unit)
            batch_chunks.extend(moved)
            content = sha256_hex(full.article.content_hash, tag)
            article = full.article.model_copy(update={"id": new_id, "content_hash": content})
            stored = StoredArticle(
                article=article, chunk_ids=[c.id for c in moved], chunker=full.chunker
            )
            rows.append((stored, moved, packed(np.stack(unit))))
            have += len(chunks)
            if len(batch_chunks) >= 4000:
                flush()
                print(f"  {have:,} chunks", flush=True)
    flush()
    (home / "grown.json").write_text(json.dumps({"chunks": have, "synthetic": True}))


def new_articles(n: int, tag: str) -> list[tuple[str, str]]:
    return [
        (
            f"Scale test {tag} story {i}",
            f"Scale test {tag} story {i}\n\nOfficials in district {i} said on Monday that "
            f"{i * 3} homes in the {tag} area lost power after a storm. Repairs will take "
            f"{i % 9 + 1} days, the utility said.",
        )
        for i in range(n)
    ]


def bare_rate(assistant: Assistant, texts: list[str]) -> float:
    """Chunks per second of the bare embedder on these texts, in ingest-sized batches."""
    started = time.perf_counter()
    for first in range(0, len(texts), 256):
        assistant.embedder.embed(texts[first : first + 256])
    return len(texts) / (time.perf_counter() - started)


def ingest_hundred(
    assistant: Assistant, home: Path, size: int, rounds: int = INGEST_ROUNDS
) -> dict[str, Any]:
    """100 new articles of real length (BBC texts, retitled) ingested as one folder, in one
    call as a user would, against the bare embedder; `rounds` times, reporting the median
    round.

    This machine's speed drifts by up to 1.5x within minutes, so the bare embedder is timed
    right before each ingest (on the chunks of the round before) and right after it (on its
    own chunks), and the ingest's rate is divided by the mean of the two: a first, unreported
    round supplies the chunks for the first "before". Each round's folder is new (article ids
    come from file paths, so a folder of an earlier run would be an update of its articles);
    `measure` deletes the added articles when it is done, so that the cached library keeps
    its size.
    """
    library = assistant.library()
    bbc = [s.article.id for s in library.catalog.all(library.name) if "bbc" in s.article.origin]
    run = time.strftime("%Y%m%d%H%M%S")
    measured = []
    previous: list[str] = []
    leftovers: list[str] = []
    for r in range(rounds + 1):
        folder = home.parent / f"hundred-{size}-{run}-{r}"
        folder.mkdir(parents=True)
        for i, article_id in enumerate(bbc[100 * r : 100 * (r + 1)]):
            full = library.catalog.get(library.name, article_id)  # all() leaves the text out
            assert full is not None
            text = (
                f"Scale test {size} article {r}-{i}\n\n{full.article.text}\n\n"
                f"Scale test marker {size}-{r}-{i}-{run}."
            )
            (folder / f"a{i:03d}.txt").write_text(text, encoding="utf-8")
        before = bare_rate(assistant, previous) if previous else 0.0
        started = time.perf_counter()
        report = assistant.ingest(folder)
        seconds = time.perf_counter() - started
        added = [a for item in report.items if item.status == "added" and (a := item.article_id)]
        texts = [c.text for a in added for c in library.catalog.chunks(library.name, a)]
        after = bare_rate(assistant, texts)
        rate = len(texts) / seconds
        if previous:
            measured.append(
                (rate / ((before + after) / 2), rate / after, seconds, len(texts), len(added))
            )
        leftovers += added
        shutil.rmtree(folder)
        previous = texts
    ratio, _, seconds, chunks, articles = sorted(measured)[len(measured) // 2]
    return {
        "ingest_100_s": round(seconds, 2),
        "ingest_100_chunks": chunks,
        "ingest_100_articles": articles,
        "ingest_100_vs_bare": round(ratio, 2),
        "ingest_100_vs_bare_rounds": [round(m[0], 2) for m in measured],
        "ingest_100_vs_bare_after_rounds": [round(m[1], 2) for m in measured],
        "ingest_100_added": leftovers,
    }


def ask_times(assistant: Assistant) -> list[float]:
    """Seconds per in-process ask (extractive) of each benchmark question, three rounds."""
    times = []
    for question in QUESTIONS * 3:
        started = time.perf_counter()
        assistant.ask(question, engine="extractive")
        times.append(time.perf_counter() - started)
    return times


def retrieval_times(assistant: Assistant, rounds: int = 3) -> dict[str, float]:
    """p50/p95 ms of each retriever and of a bare chroma query (k=24, texts and metadata),
    interleaved question by question in a rotating order, so that all four see the same
    state of the page cache (this machine's memory manager evicts it between phases)."""
    parts, store = assistant.parts(), assistant.library().store
    vectors = assistant.embedder.embed(QUESTIONS)
    runs: dict[str, Callable[[str, Any], object]] = {
        mode: partial(Retrieval(parts, mode).run, query=Query(), k=6)
        for mode in ("dense", "lexical", "hybrid")
    }
    runs["bare_chroma"] = lambda question, vector: store.query(vector, 24)
    times: dict[str, list[float]] = {name: [] for name in runs}
    names = list(runs)
    for turn in range(rounds * len(QUESTIONS)):
        question, vector = QUESTIONS[turn % len(QUESTIONS)], vectors[turn % len(QUESTIONS)]
        for name in names[turn % 4 :] + names[: turn % 4]:
            started = time.perf_counter()
            runs[name](question, vector)
            times[name].append(time.perf_counter() - started)
    out: dict[str, float] = {}
    for name, values in times.items():
        key = name if name == "bare_chroma" else f"retrieve_{name}"
        out[f"{key}_p50_ms"], out[f"{key}_p95_ms"] = percentiles(values)
    return out


def measure(home: Path, size: int, synthetic: bool, questions: list[str]) -> dict[str, Any]:
    """Every measurement of one library (in this process, then in subprocesses)."""
    out: dict[str, Any] = {"size": size, "synthetic": synthetic}
    assistant = Assistant(Settings(home=home, _env_file=None))  # type: ignore[call-arg]
    library = assistant.library()
    out["articles"], out["chunks"] = library.stats()
    # Small libraries are searched exactly over the catalog's copies (ASSISTANT_EXACT_SEARCH_CHUNKS)
    out["dense_search"] = "exact" if out["chunks"] <= library.exact.max_chunks else "chroma"
    out.update(fill_vectors(library))
    out.update(keyword_index(library, questions))
    out.update(downstream(assistant, questions, ANSWERS))
    assistant.ask("warm up the index")
    [(title, text)] = new_articles(1, f"one-{size}")
    started = time.perf_counter()
    assistant.ingest_text(text, title=title, source=f"scale/one-{size}.txt")
    out["ingest_1_s"] = round(time.perf_counter() - started, 3)
    hundred = ingest_hundred(assistant, home, size)
    added = hundred.pop("ingest_100_added")
    out.update(hundred)
    started = time.perf_counter()
    assistant.delete(f"scale/one-{size}")
    out["delete_1_s"] = round(time.perf_counter() - started, 3)
    out["ask_p50_ms"], out["ask_p95_ms"] = percentiles(ask_times(assistant))
    out.update(retrieval_times(assistant))
    # The same asks in a process that froze what it loaded, as `assistant serve` and `ui` do
    # (a full GC pass costs about 45 ms with chromadb and pydantic loaded). A change to the
    # library first, so that filters are listed again as in the asks above.
    assistant.ingest_text(text, title=title, source=f"scale/one-{size}.txt")
    assistant.delete(f"scale/one-{size}")
    assistant.warm_up(freeze=True)
    frozen = ask_times(assistant)
    gc.unfreeze()
    out["ask_frozen_p50_ms"], out["ask_frozen_p95_ms"] = percentiles(frozen)
    for article_id in added:  # last: deleting them churns chroma's index and the page cache
        assistant.delete(article_id)
    out["disk_mb"] = round(sum(p.stat().st_size for p in home.rglob("*") if p.is_file()) / 1e6)
    return out


def cold_ask(home: Path, runs: int = 5) -> float:
    times = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, "-m", "assistant.cli", "ask", QUESTIONS[0]],
            env=environment(home),
            capture_output=True,
            check=False,
        )
        times.append(time.perf_counter() - started)
    return round(statistics.median(times), 2)


# The floor under a cold ask and its memory: a process that only opens the library's chroma
# collection (as this product does, on disk) and runs one dense query, nothing of ours.
BARE_CHROMA = """
import sys
import chromadb
client = chromadb.PersistentClient(path=sys.argv[1])
collection = client.get_collection(client.list_collections()[0].name, embedding_function=None)
dim = len(collection.get(limit=1, include=["embeddings"])["embeddings"][0])
collection.query(query_embeddings=[[dim ** -0.5] * dim], n_results=24, include=[])
status = open("/proc/self/status").read().split("VmHWM:")[1]
print(int(status.split()[0]) // 1024)
"""


def bare_chroma_cold(home: Path, runs: int = 3) -> dict[str, float]:
    """Seconds (median of `runs` fresh processes) and peak RSS of BARE_CHROMA."""
    times, peaks = [], []
    for _ in range(runs):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-c", BARE_CHROMA, str(home / "chroma")],
            capture_output=True,
            text=True,
            check=False,
        )
        times.append(time.perf_counter() - started)
        peaks.append(int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else -1)
    return {
        "bare_chroma_cold_s": round(statistics.median(times), 2),
        "bare_chroma_peak_rss_mb": max(peaks),
    }


# VmHWM, not ru_maxrss: Linux carries a process's ru_maxrss across exec, so a child started
# by this (large) benchmark process would report the benchmark's own size.
PEAK = """
import sys
from assistant.api import Assistant
a = Assistant()
for q in sys.argv[1:]:
    a.ask(q)
status = open("/proc/self/status").read().split("VmHWM:")[1]
print(int(status.split()[0]) // 1024)
"""


def peak_rss(home: Path) -> int:
    done = subprocess.run(
        [sys.executable, "-c", PEAK, *QUESTIONS],
        env=environment(home),
        capture_output=True,
        text=True,
        check=False,
    )
    return int(done.stdout.strip().splitlines()[-1]) if done.returncode == 0 else -1


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--realtimeqa", type=Path, required=True)
    parser.add_argument("--bbc", type=Path, required=True)
    parser.add_argument("--cache", type=Path, required=True, help="built libraries (not the repo)")
    parser.add_argument("--sizes", default="20000,200000,1000000")
    parser.add_argument("--out", type=Path, required=True)
    args = parser.parse_args(argv)
    base_home = args.cache / "base"
    base = build_base(base_home, args.realtimeqa, args.bbc)
    print("base", base, flush=True)
    rows = []
    for size in (int(s) for s in args.sizes.split(",")):
        synthetic = size > base["chunks"] * 1.2
        home = args.cache / f"size-{size}" if synthetic else base_home
        if synthetic:
            started = time.perf_counter()
            grow(base_home, home, size)
            print(f"built {size} in {time.perf_counter() - started:.0f}s", flush=True)
        row = measure(home, size, synthetic, quiz_questions(args.realtimeqa))
        release(home)  # else the subprocesses below would ask this process, as `serve`
        row["cold_ask_s"] = cold_ask(home)
        serve = subprocess.Popen(
            [sys.executable, "-m", "assistant.cli", "serve"],
            env=environment(home),
            stdout=subprocess.PIPE,
            text=True,
        )
        assert serve.stdout is not None
        serve.stdout.readline()  # "serving ..." once the library is open
        row["cold_ask_with_serve_s"] = cold_ask(home)
        serve.terminate()
        serve.wait()
        row["peak_rss_mb"] = peak_rss(home)
        row.update(bare_chroma_cold(home))
        print(json.dumps(row), flush=True)
        rows.append(row)
    args.out.mkdir(parents=True, exist_ok=True)
    report = {
        "base": base,
        "rows": rows,
        "max_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
    }
    (args.out / "scale.json").write_text(json.dumps(report, indent=2) + "\n")
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
