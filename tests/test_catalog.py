"""One contract, every Catalog: the embedded SQLite catalog and the PostgreSQL one.

Each test gets a fresh catalog (a new SQLite file, or a new database of the session's
PostgreSQL). `reopen` opens a second catalog on the same storage, as another process would.
"""

from __future__ import annotations

import datetime as dt
import subprocess
import sys
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np
import psycopg
import pytest
from servers import free_port

from assistant.errors import ConfigError
from assistant.models import Article, Chunk, sha256_hex
from assistant.store.catalog import ArticleFilter, Catalog, Pending, StoredArticle, packed, unpacked
from assistant.store.postgres_catalog import PostgresCatalog, PostgresLexical
from assistant.store.sqlite_catalog import SqliteCatalog

LIB = "news"
Opener = Callable[[], Catalog]


@pytest.fixture(params=["sqlite", "postgres"])
def reopen(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Opener]:
    """Opens catalogs on one fresh storage; all are closed at the end."""
    opened: list[Catalog] = []
    if request.param == "postgres":
        url = request.getfixturevalue("database_url")

        def make() -> Catalog:
            opened.append(PostgresCatalog(url, tmp_path / f"cache-{len(opened)}"))
            return opened[-1]
    else:

        def make() -> Catalog:
            opened.append(SqliteCatalog(tmp_path / "catalog.sqlite3"))
            return opened[-1]

    yield make
    for catalog in opened:
        catalog.close()


@pytest.fixture
def catalog(reopen: Opener) -> Catalog:
    made = reopen()
    made.create_library(LIB, "hash-64")
    return made


def article(
    article_id: str,
    text: str,
    *,
    title: str | None = None,
    source: str | None = None,
    url: str | None = None,
    date: dt.date | None = None,
    raw: str = "",
    when: dt.datetime | None = None,
) -> Article:
    return Article(
        id=article_id,
        source=source or f"{article_id}.txt",
        origin=source or f"/data/{article_id}.txt",
        title=title or f"Title of {article_id}",
        text=text,
        url=url,
        date=date,
        credits=["AFP"],
        content_hash=sha256_hex(text),
        raw_hash=raw or sha256_hex("raw", text),
        ingested_at=when or dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC),
    )


def chunks_of(item: Article, pieces: int = 2, tag: str = "") -> list[Chunk]:
    """The article's text in `pieces` chunks; ids from the content, like the real chunker."""
    size = -(-len(item.text) // pieces)
    out = []
    for i in range(pieces):
        start, end = i * size, min(len(item.text), (i + 1) * size)
        out.append(
            Chunk(
                id=sha256_hex(item.content_hash, tag, str(i))[:24],
                article_id=item.id,
                index=i,
                text=item.text[start:end],
                start=start,
                end=end,
                n_tokens=len(item.text[start:end].split()),
            )
        )
    return out


def pending(item: Article, replaces: str | None = None, tag: str = "") -> Pending:
    return Pending(article=item, chunks=chunks_of(item, tag=tag), chunker="c1", replaces=replaces)


def commit(catalog: Catalog, *items: Pending) -> list[tuple[str, str, list[str]]]:
    """Commit like a writer: intents first; (article id, status, stale) per item."""
    catalog.intend(LIB, [c.id for p in items for c in p.chunks])
    done = catalog.commit(LIB, list(items))
    return [(c.article_id, c.status, c.stale) for c in done]


HEATING = "Kyiv residents lost heating overnight after a large attack on power plants."
TRADE = "Exports of grain rose sharply in March as the trade corridor reopened."
FOOTBALL = "The football club won the cup final after extra time in front of fans."


# Libraries


def test_libraries_are_created_once_and_listed_by_name(reopen: Opener) -> None:
    catalog = reopen()
    assert catalog.library("zeta") is None and catalog.libraries() == []
    first = catalog.create_library("zeta", "hash-64")
    again = catalog.create_library("zeta", "other")
    assert again == first and first.embedder == "hash-64" and first.dim == 0
    catalog.create_library("alpha", "hash-64")
    catalog.set_dim("alpha", 64)
    assert [(r.name, r.dim) for r in catalog.libraries()] == [("alpha", 64), ("zeta", 0)]
    assert catalog.generation("zeta") == 0 and catalog.generation("missing") == 0
    assert catalog.count("missing") == (0, 0)


def test_drop_library_forgets_everything(catalog: Catalog) -> None:
    commit(catalog, pending(article("a", HEATING)))
    catalog.intend(LIB, ["in-flight"])
    catalog.drop_library(LIB)
    assert catalog.library(LIB) is None and catalog.libraries() == []
    assert catalog.get(LIB, "a") is None and catalog.intents(LIB) == []
    assert list(catalog.iter_chunks(LIB)) == []
    catalog.create_library(LIB, "hash-64")
    assert catalog.lexical(LIB).search("heating", 5) == []
    assert catalog.count(LIB) == (0, 0)


# Commit statuses


def test_added_then_unchanged(catalog: Catalog) -> None:
    item = article("a", HEATING)
    assert commit(catalog, pending(item)) == [("a", "added", [])]
    assert catalog.count(LIB) == (1, 2)
    assert catalog.intents(LIB) == []
    stored = catalog.get(LIB, "a")
    assert stored is not None and stored.article.text == HEATING
    assert stored.article.credits == ["AFP"] and stored.chunker == "c1"
    assert stored.article.ingested_at == dt.datetime(2026, 3, 1, 12, 0, tzinfo=dt.UTC)
    assert stored.chunk_ids == [c.id for c in chunks_of(item)]
    assert catalog.chunks(LIB, "a") == chunks_of(item)
    before = catalog.generation(LIB)
    assert commit(catalog, pending(item)) == [("a", "unchanged", [])]
    assert catalog.count(LIB) == (1, 2) and catalog.generation(LIB) > before


def test_same_text_new_bytes_is_unchanged_and_records_them(catalog: Catalog) -> None:
    commit(catalog, pending(article("a", HEATING)))
    assert commit(catalog, pending(article("a", HEATING, raw="new-bytes"))) == [
        ("a", "unchanged", [])
    ]
    stored = catalog.get(LIB, "a")
    assert stored is not None and stored.article.raw_hash == "new-bytes"


def test_updated_returns_the_old_chunks_as_stale_intents(catalog: Catalog) -> None:
    old = article("a", HEATING)
    commit(catalog, pending(old))
    new = article("a", HEATING + " Repairs will take days.")
    [(_, status, stale)] = commit(catalog, pending(new))
    assert status == "updated" and stale == sorted(c.id for c in chunks_of(old))
    assert sorted(catalog.intents(LIB)) == stale  # until the caller deleted them
    assert catalog.chunks_by_id(LIB, stale) == {}
    catalog.forget_intents(LIB, stale)
    assert catalog.intents(LIB) == [] and catalog.count(LIB) == (1, 2)


def test_a_replaced_id_is_updated_under_the_new_id(catalog: Catalog) -> None:
    commit(catalog, pending(article("0123456789abcdef", HEATING)))
    [(article_id, status, stale)] = commit(
        catalog, pending(article("kyiv/heating", HEATING + "!"), replaces="0123456789abcdef")
    )
    assert (article_id, status) == ("kyiv/heating", "updated") and len(stale) == 2
    assert catalog.get(LIB, "0123456789abcdef") is None
    assert catalog.count(LIB) == (1, 2)


def test_duplicate_is_decided_inside_the_commit(catalog: Catalog) -> None:
    first = article("a", HEATING)
    commit(catalog, pending(first))
    # Prepared before "a" committed, with other chunk ids: a duplicate, its chunks stale.
    [(twin_id, status, stale)] = commit(catalog, pending(article("b", HEATING), tag="other"))
    assert (twin_id, status) == ("a", "duplicate")
    assert stale == sorted(c.id for c in chunks_of(article("b", HEATING), tag="other"))
    done = catalog.commit(LIB, [pending(article("c", HEATING))])
    assert done[0].twin is not None and done[0].twin.article.id == "a"
    assert catalog.get(LIB, "b") is None and catalog.count(LIB) == (1, 2)


def test_two_articles_with_one_text_in_one_commit(catalog: Catalog) -> None:
    result = commit(catalog, pending(article("a", TRADE)), pending(article("b", TRADE), tag="x"))
    assert [(r[0], r[1]) for r in result] == [("a", "added"), ("a", "duplicate")]
    assert sorted(catalog.intents(LIB)) == result[1][2]


def test_delete_returns_chunk_ids_recorded_as_intents(catalog: Catalog) -> None:
    item = article("a", HEATING)
    commit(catalog, pending(item), pending(article("b", TRADE)))
    generation = catalog.generation(LIB)
    removed = catalog.delete(LIB, "a")
    assert sorted(removed) == sorted(c.id for c in chunks_of(item))
    assert sorted(catalog.intents(LIB)) == sorted(removed)
    assert catalog.get(LIB, "a") is None and catalog.count(LIB) == (1, 2)
    assert catalog.generation(LIB) > generation
    assert catalog.delete(LIB, "a") == []


def test_restore_writes_an_article_as_it_was(catalog: Catalog) -> None:
    commit(catalog, pending(article("a", HEATING)))
    copy = article("copy", HEATING, when=dt.datetime(2020, 1, 2, 3, 4, 5, tzinfo=dt.UTC))
    source = catalog.get(LIB, "a")
    assert source is not None
    stored = source.model_copy(update={"article": copy, "chunker": "c0"})
    catalog.restore(LIB, stored, chunks_of(copy, tag="copy"))  # no duplicate check
    again = catalog.get(LIB, "copy")
    assert (
        again is not None
        and again.chunker == "c0"
        and again.article == copy.model_copy(update={"n_chunks": 2})
    )
    catalog.restore(LIB, stored, chunks_of(copy, tag="copy"))  # idempotent
    assert catalog.count(LIB) == (2, 4)


def test_recount_sets_the_counters_from_the_rows(catalog: Catalog) -> None:
    commit(catalog, pending(article("a", HEATING)), pending(article("b", TRADE)))
    catalog.delete(LIB, "b")
    zero = "UPDATE libraries SET n_articles = 0, n_chunks = 0"  # as a migration leaves them
    if isinstance(catalog, SqliteCatalog):
        catalog._db.execute(zero)
    else:
        assert isinstance(catalog, PostgresCatalog)
        with catalog._pool.connection() as conn:
            conn.execute(zero)
    assert catalog.count(LIB) == (0, 0)
    catalog.recount(LIB)
    assert catalog.count(LIB) == (1, 2)
    catalog.recount("never-created")  # nothing to count, nothing raised
    assert catalog.count("never-created") == (0, 0)


# Intents


def test_intents_are_recorded_and_forgotten(catalog: Catalog) -> None:
    catalog.intend(LIB, ["x", "y", "x"])
    assert sorted(catalog.intents(LIB)) == ["x", "y"]
    catalog.forget_intents(LIB, ["x"])
    assert catalog.intents(LIB) == ["y"]
    catalog.forget_intents(LIB, [])
    catalog.intend(LIB, [])
    assert catalog.intents(LIB) == ["y"]


# Reading


def test_lookups(catalog: Catalog) -> None:
    commit(
        catalog,
        pending(article("kyiv/heating", HEATING, when=dt.datetime(2026, 1, 1, tzinfo=dt.UTC))),
        pending(article("kyiv/trade", TRADE, when=dt.datetime(2026, 2, 1, tzinfo=dt.UTC))),
        pending(article("sport_1", FOOTBALL, source="feed.jsonl#1")),
    )
    assert sorted(catalog.get_many(LIB, ["kyiv/trade", "missing", "kyiv/trade"])) == ["kyiv/trade"]
    assert catalog.get_many(LIB, ["kyiv/trade"])["kyiv/trade"].article.text == TRADE
    assert sorted(catalog.find_prefix(LIB, "kyiv/")) == ["kyiv/heating", "kyiv/trade"]
    assert catalog.find_prefix(LIB, "sport%") == [] and catalog.find_prefix(LIB, "sport_") == [
        "sport_1"
    ]
    found = catalog.find_content(LIB, sha256_hex(TRADE))
    assert found is not None and found.article.id == "kyiv/trade"
    assert catalog.find_content(LIB, "nope") is None
    assert [s.article.id for s in catalog.from_origin(LIB, "feed.jsonl#1")] == ["sport_1"]
    listed = catalog.all(LIB)
    assert [s.article.id for s in listed] == ["sport_1", "kyiv/trade", "kyiv/heating"]
    assert all(s.article.text == "" and s.article.n_chunks == 2 for s in listed)
    assert catalog.chunk_ids(LIB)["kyiv/trade"] == [c.id for c in chunks_of(article("x", TRADE))]


def test_filters_are_evaluated_by_the_catalog(catalog: Catalog) -> None:
    commit(
        catalog,
        pending(article("a", HEATING, title="Kyiv Heating", date=dt.date(2026, 1, 10))),
        pending(article("b", TRADE, url="https://www.BBC.co.uk/news/1", date=dt.date(2026, 2, 1))),
        pending(article("c", FOOTBALL, source="reuters/sport.txt")),
    )

    def ids(**where: object) -> list[str]:
        return sorted(catalog.filter_articles(LIB, ArticleFilter.model_validate(where)))

    assert ids() == ["a", "b", "c"]
    assert ids(source="bbc.co.uk") == ["b"] and ids(source="REUTERS") == ["c"]
    assert ids(title="heating") == ["a"]
    assert ids(date_from=dt.date(2026, 1, 15)) == ["b"]
    assert ids(date_to=dt.date(2026, 1, 31)) == ["a"]
    assert ids(date_from=dt.date(2026, 1, 1), date_to=dt.date(2026, 12, 31)) == ["a", "b"]
    assert catalog.newest_date(LIB, dt.date(2026, 12, 31)) == dt.date(2026, 2, 1)
    assert catalog.newest_date(LIB, dt.date(2026, 1, 31)) == dt.date(2026, 1, 10)
    assert catalog.newest_date(LIB, dt.date(2025, 1, 1)) is None
    assert ids(article_ids=["a", "c", "zzz"]) == ["a", "c"] and ids(article_ids=[]) == []
    assert ids(article_ids=["a", "b"], title="trade", date_from=dt.date(2026, 1, 1)) == []
    assert ids(article_ids=["a", "b", "c"], date_from=dt.date(2026, 1, 15)) == ["b"]
    some = catalog.filter_articles(LIB, ArticleFilter(), limit=2)
    assert len(some) == 2 and set(some) <= {"a", "b", "c"}


# Chunks


def test_only_committed_chunks_are_found(catalog: Catalog) -> None:
    item = article("a", HEATING)
    commit(catalog, pending(item))
    in_flight = chunks_of(article("b", TRADE))
    catalog.intend(LIB, [c.id for c in in_flight])  # in the vector store, not committed
    asked = [c.id for c in chunks_of(item)] + [c.id for c in in_flight]
    assert sorted(catalog.chunks_by_id(LIB, asked)) == sorted(c.id for c in chunks_of(item))
    assert catalog.owned(LIB, asked) == {c.id for c in chunks_of(item)}
    assert catalog.chunks_by_id(LIB, []) == {} and catalog.owned(LIB, []) == set()
    assert catalog.owners(LIB, asked) == {c.id: "a" for c in chunks_of(item)}
    assert catalog.owners(LIB, []) == {}


def test_chunks_keep_a_float16_copy_of_their_vectors(catalog: Catalog) -> None:
    kept, bare = article("a", HEATING), article("b", TRADE)
    vectors = np.random.default_rng(3).normal(size=(2, 8)).astype(np.float32)
    commit(catalog, pending(kept).model_copy(update={"vectors": packed(vectors)}), pending(bare))
    asked = [c.id for c in chunks_of(kept) + chunks_of(bare)]
    chunks, blobs = catalog.chunks_with_vectors(LIB, asked)
    assert chunks == catalog.chunks_by_id(LIB, asked) and len(chunks) == 4
    # Only the first article's chunks came with vectors; the others read as "not kept".
    assert sorted(blobs) == sorted(c.id for c in chunks_of(kept))
    back = unpacked([blobs[c.id] for c in chunks_of(kept)])
    assert np.allclose(back, vectors, atol=2e-3) and back.dtype == np.float32
    copy = article("a2", HEATING + " Again.")
    stored = StoredArticle(article=copy, chunk_ids=[c.id for c in chunks_of(copy)], chunker="c1")
    catalog.restore(LIB, stored, chunks_of(copy), packed(vectors[::-1]))
    _, restored = catalog.chunks_with_vectors(LIB, stored.chunk_ids)
    assert np.allclose(unpacked([restored[i] for i in stored.chunk_ids]), vectors[::-1], atol=2e-3)
    with pytest.raises(ValueError, match="1 vectors for 2 chunks"):
        catalog.restore(LIB, stored, chunks_of(copy), packed(vectors[:1]))


def test_iter_chunks_pages_through_every_committed_chunk(catalog: Catalog) -> None:
    items = [article(f"a{i}", f"{HEATING} Story {i}.") for i in range(5)]
    commit(catalog, *map(pending, items))
    catalog.delete(LIB, "a2")
    listed = list(catalog.iter_chunks(LIB, page=3))
    expected = {c.id for item in items if item.id != "a2" for c in chunks_of(item)}
    assert len(listed) == 8 and {c.id for c in listed} == expected


# Keyword search


def test_keyword_search_ranks_filters_and_reports_idf(catalog: Catalog) -> None:
    commit(
        catalog,
        pending(article("a", HEATING + " Heating heating.", title="Heating cut")),
        pending(article("b", TRADE, title="Grain")),
        pending(article("c", FOOTBALL + " The heating failed.", title="Cup")),
    )
    lexical = catalog.lexical(LIB)
    found = lexical.search("heating problems", 10)
    assert {c for c, _ in found} <= {c.id for i in ("a", "c") for c in catalog.chunks(LIB, i)}
    assert found[0][0] in catalog.chunk_ids(LIB)["a"]  # title + text: most about heating
    assert all(score > 0 for _, score in found)
    assert [s for _, s in found] == sorted((s for _, s in found), reverse=True)
    assert len(lexical.search("heating", 1)) == 1
    only_c = lexical.search("heating", 10, allowed=["c", "zzz"])
    assert only_c and {c for c, _ in only_c} <= set(catalog.chunk_ids(LIB)["c"])
    assert lexical.search("heating", 10, allowed=[]) == []
    assert lexical.search("the of and", 10) == [] and lexical.search("", 10) == []
    assert lexical.search("unknownword", 10) == []
    assert lexical.idf("grain") > lexical.idf("heat") > 0  # stemmed index terms


def test_keyword_search_sees_other_writers_and_never_removed_chunks(reopen: Opener) -> None:
    writer, reader = reopen(), reopen()
    writer.create_library(LIB, "hash-64")
    assert reader.lexical(LIB).search("grain", 5) == []
    commit(writer, pending(article("b", TRADE)))
    assert {c for c, _ in reader.lexical(LIB).search("grain", 5)} <= set(writer.chunk_ids(LIB)["b"])
    commit(writer, pending(article("b", FOOTBALL)))  # updated: the grain chunks are gone
    assert reader.lexical(LIB).search("grain", 5) == []
    assert reader.lexical(LIB).search("football", 5)
    writer.delete(LIB, "b")
    assert reader.lexical(LIB).search("football", 5) == []


def test_scores_are_the_same_in_both_catalogs(tmp_path: Path, database_url: str) -> None:
    results = []
    for catalog in (
        SqliteCatalog(tmp_path / "catalog.sqlite3"),
        PostgresCatalog(database_url, tmp_path / "cache"),
    ):
        catalog.create_library(LIB, "hash-64")
        items = [HEATING, TRADE, FOOTBALL, HEATING + " Again heating cuts.", TRADE + " Grain."]
        commit(catalog, *(pending(article(f"a{i}", t)) for i, t in enumerate(items)))
        lexical = catalog.lexical(LIB)
        results.append(
            (
                [lexical.search(q, 10) for q in ("heating cuts", "grain trade", "cup final")],
                [lexical.idf(t) for t in ("heat", "grain", "zzz")],
            )
        )
        catalog.close()
    (sqlite_hits, sqlite_idf), (pg_hits, pg_idf) = results
    for ours, theirs in zip(sqlite_hits, pg_hits, strict=True):
        assert [c for c, _ in ours] == [c for c, _ in theirs]
        assert [s for _, s in ours] == pytest.approx([s for _, s in theirs], rel=1e-6)
    assert sqlite_idf == pytest.approx(pg_idf)


# The writer lock

LOCKER = """
import sys, time
from pathlib import Path
kind, where = sys.argv[1], sys.argv[2]
if kind == "sqlite":
    from assistant.store.sqlite_catalog import SqliteCatalog
    catalog = SqliteCatalog(Path(where))
else:
    from assistant.store.postgres_catalog import PostgresCatalog, PostgresLexical
    catalog = PostgresCatalog(where, Path(sys.argv[3]))
with catalog.writer_lock("news"):
    print("held", flush=True)
    time.sleep(120)
"""


def where(catalog: Catalog, tmp_path: Path) -> list[str]:
    if isinstance(catalog, SqliteCatalog):
        return ["sqlite", str(catalog.path)]
    assert isinstance(catalog, PostgresCatalog)
    return ["postgres", catalog.url, str(tmp_path / "locker-cache")]


def test_writer_lock_excludes_another_process_until_it_dies(
    catalog: Catalog, tmp_path: Path
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", LOCKER, *where(catalog, tmp_path)],
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "held"
        acquired = threading.Event()

        def take() -> None:
            with catalog.writer_lock(LIB):
                acquired.set()

        thread = threading.Thread(target=take, daemon=True)
        thread.start()
        assert not acquired.wait(1.0), "a second holder got the lock"
        with catalog.writer_lock("another-library"):  # other libraries are not blocked
            pass
    finally:
        holder.kill()  # SIGKILL: no chance to unlock; the kernel or the server releases it
        holder.wait()
    assert acquired.wait(20), "the lock was not released when its holder died"
    thread.join()


def test_writer_lock_is_reentrant_and_excludes_other_threads(catalog: Catalog) -> None:
    order: list[str] = []
    with catalog.writer_lock(LIB):
        with catalog.writer_lock(LIB):
            order.append("inner")
        thread = threading.Thread(target=lambda: _hold(catalog, order))
        thread.start()
        thread.join(0.5)
        order.append("outer")
    thread.join(10)
    assert order == ["inner", "outer", "thread"]


def _hold(catalog: Catalog, order: list[str]) -> None:
    with catalog.writer_lock(LIB):
        order.append("thread")


def test_threads_share_one_catalog(catalog: Catalog) -> None:
    errors: list[BaseException] = []

    def work(n: int) -> None:
        try:
            for i in range(5):
                with catalog.writer_lock(LIB):
                    commit(catalog, pending(article(f"t{n}-{i}", f"{TRADE} Thread {n} item {i}.")))
                catalog.lexical(LIB).search("grain trade", 3)
        except BaseException as error:
            errors.append(error)

    threads = [threading.Thread(target=work, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == [] and catalog.count(LIB) == (20, 40)


# The server catalog's keyword cache


def test_a_new_process_starts_from_the_newest_snapshot(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PostgresLexical, "SAVE_AFTER", 1)
    cache = tmp_path / "cache"
    writer = PostgresCatalog(database_url, cache)
    writer.create_library(LIB, "hash-64")
    commit(writer, pending(article("a", HEATING)), pending(article("b", TRADE)))
    writer.lexical(LIB)
    snapshots = [p.name for p in (cache / LIB).iterdir()]
    assert len(snapshots) == 1 and not snapshots[0].startswith(".")
    monkeypatch.setattr(PostgresLexical, "SAVE_AFTER", 10**9)
    commit(writer, pending(article("c", FOOTBALL)))  # after the snapshot: read as a change
    expected = writer.lexical(LIB).search("grain heating", 10)
    assert len(list((cache / LIB).iterdir())) == 1
    reader = PostgresCatalog(database_url, cache)
    index = reader.lexical(LIB)
    assert index.version == (index.version[0], writer.generation(LIB))  # type: ignore[index]
    assert index.search("grain heating", 10) == expected
    assert index.search("football", 10)
    for catalog in (writer, reader):
        catalog.close()


def test_an_index_older_than_the_removal_log_is_rebuilt(database_url: str, tmp_path: Path) -> None:
    writer = PostgresCatalog(database_url, tmp_path / "writer")
    reader = PostgresCatalog(database_url, tmp_path / "reader")
    writer.create_library(LIB, "hash-64")
    commit(writer, pending(article("a", HEATING)), pending(article("b", TRADE)))
    assert reader.lexical(LIB).search("grain", 5)
    writer.delete(LIB, "b")
    with psycopg.connect(database_url, autocommit=True) as conn:  # as if pruned long ago
        conn.execute("DELETE FROM removed")
        conn.execute("UPDATE libraries SET pruned = generation")
    assert reader.lexical(LIB).search("grain", 5) == []
    assert reader.lexical(LIB).search("heating", 5)
    writer.close()
    reader.close()


def test_a_recreated_library_is_not_mistaken_for_the_old_one(
    database_url: str, tmp_path: Path
) -> None:
    writer = PostgresCatalog(database_url, tmp_path / "writer")
    reader = PostgresCatalog(database_url, tmp_path / "reader")
    writer.create_library(LIB, "hash-64")
    commit(writer, pending(article("a", HEATING)), pending(article("b", TRADE)))
    assert reader.lexical(LIB).search("grain", 5)
    writer.drop_library(LIB)
    writer.create_library(LIB, "hash-64")
    commit(writer, pending(article("c", FOOTBALL)))
    commit(writer, pending(article("d", FOOTBALL + " More.")))
    assert reader.lexical(LIB).search("grain", 5) == []
    assert len(reader.lexical(LIB).search("football", 5)) >= 2
    writer.close()
    reader.close()


def test_a_server_that_is_down_is_a_one_line_config_error(tmp_path: Path) -> None:
    url = f"postgresql://someone:secret@127.0.0.1:{free_port()}/assistant"
    with pytest.raises(ConfigError) as caught:
        PostgresCatalog(url, tmp_path)
    message = str(caught.value)
    assert "ASSISTANT_DATABASE_URL" in message and "secret" not in message
    assert "\n" not in message
    with pytest.raises(ConfigError, match="postgresql://"):
        PostgresCatalog("mysql://someone@host/db", tmp_path)


def test_snapshots_of_a_dropped_library_are_not_used_and_are_removed(
    database_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(PostgresLexical, "SAVE_AFTER", 1)
    cache = tmp_path / "cache"
    first = PostgresCatalog(database_url, cache)
    first.create_library(LIB, "hash-64")
    for i in range(3):
        commit(first, pending(article(f"g{i}", f"{TRADE} Grain {i}.")))
    first.lexical(LIB)
    old = [p.name for p in (cache / LIB).iterdir()]
    with psycopg.connect(database_url, autocommit=True) as conn:  # dropped by another machine
        for table in ("articles", "chunks", "removed", "libraries"):
            conn.execute(f"DELETE FROM {table}")
    second = PostgresCatalog(database_url, tmp_path / "elsewhere")
    second.create_library(LIB, "hash-64")
    commit(second, pending(article("c", FOOTBALL)))
    reader = PostgresCatalog(database_url, cache)  # finds the old library's snapshot only
    assert reader.lexical(LIB).search("grain", 5) == []
    assert reader.lexical(LIB).search("football", 5)
    new = [p.name for p in (cache / LIB).iterdir()]
    assert len(new) == 1 and new != old
    for catalog in (first, second, reader):
        catalog.close()
