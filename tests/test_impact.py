"""The embedded catalog's impact lists against exact BM25 (the in-memory index computes the
same formula as FTS5), with more chunks per word than a list keeps."""

from __future__ import annotations

import random
import sqlite3
import threading
from pathlib import Path

import pytest
from test_catalog import LIB, article, chunks_of, commit, pending

from assistant.models import Chunk
from assistant.store import sqlite_catalog
from assistant.store.catalog import Pending
from assistant.store.impact import REFILL, TOP, Postings
from assistant.store.lexical import Bm25Index, bm25_idf, terms
from assistant.store.sqlite_catalog import SqliteCatalog, fts_table
from assistant.store.sqlite_impact import Changes, TopLists, create_sql, top_table

N_ARTICLES = TOP // 2 + 40  # two chunks each: "grain" is in more chunks than a list keeps
QUERIES = ("grain", "grain port", "grain port storm", "harvest storm", "port", "nothing here")


def text_of(i: int) -> str:
    extra = " ".join(["grain"] * (i % 5))  # term frequencies from 1 to 5
    port = " port" if i % 7 == 0 else ""
    storm = " storm harvest" if i % 50 == 0 else ""
    return f"Grain exports {i}{port} {extra} rose in March.{storm} Officials said grain {i} ships."


def exact(catalog: SqliteCatalog) -> Bm25Index:
    index = Bm25Index()
    for stored in catalog.all(LIB):
        for chunk in catalog.chunks(LIB, stored.article.id):
            index.add(chunk.id, stored.article.id, terms(f"{stored.article.title}\n{chunk.text}"))
    return index


def assert_same(catalog: SqliteCatalog, queries: tuple[str, ...] = QUERIES) -> None:
    """The same best scores, and each chunk found has its exact score (ties may differ)."""
    truth = exact(catalog)
    for query in queries:
        ours = catalog.lexical(LIB).search(query, 10)
        theirs = truth.search(query, 10)
        assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=1e-6), query
        every = dict(truth.search(query, 10 * TOP))
        assert [s for _, s in ours] == pytest.approx([every[c] for c, _ in ours], rel=1e-6)


def grain_list(catalog: SqliteCatalog) -> tuple[int, int]:
    """(df, postings kept) of the word 'grain'."""
    row = catalog._db.execute(
        f"SELECT df, length(postings) / 24 FROM {top_table(fts_table(LIB))} WHERE term = 'grain'"
    ).fetchone()
    return int(row[0]), int(row[1])


@pytest.fixture
def catalog(tmp_path: Path) -> SqliteCatalog:
    made = SqliteCatalog(tmp_path / "catalog.sqlite3")
    made.create_library(LIB, "hash-64")
    commit(made, *(pending(article(f"a{i}", text_of(i))) for i in range(N_ARTICLES)))
    return made


def test_cut_lists_give_the_exact_best_chunks(catalog: SqliteCatalog) -> None:
    assert grain_list(catalog) == (2 * N_ARTICLES, TOP)  # df is exact, the list is cut
    assert_same(catalog)


def test_articles_added_one_at_a_time_update_the_lists(catalog: SqliteCatalog) -> None:
    for i in range(N_ARTICLES, N_ARTICLES + 30):
        commit(catalog, pending(article(f"a{i}", text_of(i) + " grain grain grain grain")))
    assert grain_list(catalog) == (2 * (N_ARTICLES + 30), TOP)
    assert_same(catalog)


def test_deleting_most_of_a_cut_list_reads_it_again(catalog: SqliteCatalog) -> None:
    ranked = [c for c, _ in catalog.lexical(LIB).search("grain", TOP)]
    owners = {
        c.id: c.article_id for s in catalog.all(LIB) for c in catalog.chunks(LIB, s.article.id)
    }
    doomed = list(dict.fromkeys(owners[c] for c in ranked))[: TOP // 2 - REFILL // 4]
    for article_id in doomed:
        catalog.delete(LIB, article_id)
    df, kept = grain_list(catalog)
    assert df == 2 * (N_ARTICLES - len(doomed)) and kept == min(df, TOP)
    assert_same(catalog)


def test_a_library_from_before_the_lists_searches_with_fts5_until_built(
    catalog: SqliteCatalog,
) -> None:
    with catalog.transaction():  # as an older version left it
        catalog._db.execute(f"DELETE FROM {top_table(fts_table(LIB))}")
        catalog._db.execute("UPDATE libraries SET top_built = 0, n_terms = 0")
    before = catalog.lexical(LIB).search("grain port", 10)
    assert [s for _, s in before] == pytest.approx(
        [s for _, s in exact(catalog).search("grain port", 10)], rel=1e-6
    )
    commit(catalog, pending(article("late", "A late grain port story.")))  # the first write builds
    assert grain_list(catalog) == (exact(catalog).df("grain"), TOP)
    assert_same(catalog)
    progress: list[int] = []
    catalog.reindex(LIB, progress.append)  # building again gives the same lists
    assert sum(progress) == 2 * N_ARTICLES + 2
    assert_same(catalog)


def test_a_rolled_back_write_leaves_the_lists_alone(catalog: SqliteCatalog) -> None:
    item = article("doomed", "Grain grain grain grain port storm.")
    chunks: list[Chunk] = chunks_of(item)
    with pytest.raises(RuntimeError), catalog.transaction():
        catalog.commit(LIB, [Pending(article=item, chunks=chunks, chunker="c1")])
        raise RuntimeError("the writer died")
    assert grain_list(catalog) == (2 * N_ARTICLES, TOP)
    assert_same(catalog)


@pytest.mark.parametrize(("few", "step"), [(2000, 40), (10, 40), (10, 2)])
def test_a_search_within_some_articles_is_exact(
    catalog: SqliteCatalog, few: int, step: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Up to FEW_CHUNKS allowed chunks are scored directly; more are looked for among the
    lists' candidates (half the library: "step" 2), and FTS5 ranks them when those hold too
    few (14 articles: "step" 40)."""
    monkeypatch.setattr(sqlite_catalog, "FEW_CHUNKS", few)
    allowed = [f"a{i}" for i in range(0, N_ARTICLES, step)]
    truth = exact(catalog)
    for query in QUERIES:
        ours = catalog.lexical(LIB).search(query, 5, allowed)
        theirs = truth.search(query, 5, allowed)
        assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=1e-6), query
        owners = {c.id: c.article_id for a in allowed for c in catalog.chunks(LIB, a)}
        assert all(owners.get(c) in allowed for c, _ in ours)


def test_idf_of_counts_read_apart_stays_finite() -> None:
    """A word's df and the library's size come from one read; if they ever disagree (more
    chunks with the word than in the library), the idf is FTS5's floor, not an error."""
    assert bm25_idf(3, 5) == 1e-6 and bm25_idf(10, 1) > 1


def test_a_search_reads_the_last_commit_while_another_thread_writes(
    catalog: SqliteCatalog,
) -> None:
    """Keyword search does not wait for this process's writer: a second connection reads the
    last commit. The writing thread's own search runs inside its transaction."""
    writing, finish = threading.Event(), threading.Event()
    own: list[list[tuple[str, float]]] = []

    def writer() -> None:
        with catalog.transaction():
            commit(catalog, pending(article("late", "A storm warning for the harbour.")))
            own.append(catalog.lexical(LIB).search("warning", 5))
            writing.set()
            finish.wait(10)  # a search that waited for this commit would find the article

    thread = threading.Thread(target=writer)
    thread.start()
    assert writing.wait(10)
    during = catalog.lexical(LIB).search("warning", 5)
    finish.set()
    thread.join()
    assert during == [] and own == [[]]  # the lists change at the commit
    assert len(catalog.lexical(LIB).search("warning", 5)) == 1


def test_replacing_and_deleting_an_article_reads_only_its_own_rows(
    catalog: SqliteCatalog,
) -> None:
    """Every statement a replacement or a delete runs finds its rows through an index on
    more than the library (a plan that reads a whole library grows with it: 110 ms per
    article at a million chunks)."""
    run: list[str] = []
    catalog._db.set_trace_callback(run.append)
    commit(catalog, pending(article("a1", "A new text for the first story."), replaces="a1"))
    catalog.delete(LIB, "a2")
    catalog._db.set_trace_callback(None)
    plans = []
    for sql in run:
        if sql.lstrip().upper().startswith(("SELECT", "DELETE", "UPDATE")):
            plans += [str(row[3]) for row in catalog._db.execute("EXPLAIN QUERY PLAN " + sql)]
    assert plans
    whole = [p for p in plans if p.endswith("(library=?)") or p.startswith("SCAN chunks")]
    assert not whole, whole


@pytest.mark.parametrize("case", ["removals", "only additions", "a reused row number"])
def test_all_touched_lists_merged_at_once_equal_each_merged_alone(case: str) -> None:
    """`TopLists.apply` merges the terms that only gained new chunks together (`insert_new`)
    and the others one by one; each row must be what `Postings.merge` gives that term's list
    alone (removals, new terms, cut lists, equal impacts). An added chunk whose row number is
    not new sends every term the slow way, where it replaces its old posting."""
    rng = random.Random(7)
    db = sqlite3.connect(":memory:")
    db.execute(create_sql("fts"))
    lists = TopLists(db, "fts")
    average = 37.5
    old: dict[str, Postings] = {}
    sizes: dict[str, int] = {}
    next_id = 0
    for k in range(40):
        size = rng.choice([1, 5, 60, TOP + 30])  # the last ones are cut lists
        if case == "a reused row number" and k == 39:
            size = TOP + 30  # long enough not to be read again from FTS5, which is absent here
        ids = list(range(next_id, next_id + size))
        next_id += size
        rows = [(i, rng.randint(1, 4), rng.randint(5, 90)) for i in ids]
        old[f"t{k}"] = Postings.of(rows).best(average)
        sizes[f"t{k}"] = size
        db.execute("INSERT INTO fts_top VALUES (?, ?, ?)", (f"t{k}", size, old[f"t{k}"].pack()))
    changes = Changes()
    for term, postings in old.items():  # a few chunks of each list removed
        if case != "removals":
            break
        for n in rng.sample(postings.ids.tolist(), min(3, len(postings.ids) - 1)):
            changes.removed[term].add(n)
            changes.df[term] -= 1
    if case == "a reused row number":
        next_id -= 1  # the first added chunk gets the last listed chunk's number
    for step in range(200):  # new chunks in old and new terms
        n, next_id = next_id, next_id + 1
        picked = rng.sample([f"t{k}" for k in range(50)], 3)
        if case == "a reused row number" and step == 0:  # in the list that holds that number
            picked = ["t39", *[t for t in picked if t != "t39"][:2]]
        for term in picked:
            changes.added[term].append((n, rng.randint(1, 4), rng.randint(5, 90)))
            changes.df[term] += 1
    lists.apply(changes, average)
    got = lists.rows(changes.terms())
    assert len(got) == 50
    for term in changes.terms():
        before = old.get(term, Postings.empty())
        want = before.merge(changes.added.get(term, []), changes.removed.get(term, set()), average)
        df, postings = got[term]
        assert df == sizes.get(term, 0) + changes.df[term]
        assert postings.pack() == want.pack(), term
