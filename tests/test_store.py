"""One contract, every VectorStore: the in-memory fake and chromadb on disk."""

import uuid
from pathlib import Path

import numpy as np
import pytest
from fakes import MemoryStore

from assistant.models import Chunk
from assistant.store import vectors as vector_store
from assistant.store.shared import LOCK_NAME, SOCKET_NAME, SharedStore, release
from assistant.store.vectors import ChromaStore, VectorStore, chroma_client


def make_store(kind: str, tmp_path: Path, server_url: str | None = None) -> VectorStore:
    if kind == "memory":
        return MemoryStore()
    if kind == "chroma-server":
        # One server for the module: every test gets a collection of its own.
        return ChromaStore(chroma_client(tmp_path, server_url), f"contract-{uuid.uuid4().hex[:12]}")
    if kind == "shared":
        return SharedStore(tmp_path / "shared-home", "contract")
    return ChromaStore(chroma_client(tmp_path / "home"), "contract")


@pytest.fixture(params=["memory", "chroma", "shared", "chroma-server"])
def store(request: pytest.FixtureRequest, tmp_path: Path) -> VectorStore:
    url = request.getfixturevalue("chroma_server") if request.param == "chroma-server" else None
    return make_store(request.param, tmp_path, url)


def chunk(chunk_id: str, article: str = "a", index: int = 0) -> Chunk:
    return Chunk(
        id=chunk_id,
        article_id=article,
        index=index,
        text=f"text {chunk_id}",
        start=0,
        end=6,
        n_tokens=2,
    )


def vectors(*rows: list[float]) -> np.ndarray:
    return np.asarray(rows, dtype=np.float32)


def test_nearest_first(store: VectorStore) -> None:
    store.add([chunk("a"), chunk("b")], vectors([1.0, 0.0], [0.0, 1.0]))
    hits = store.query([1.0, 0.1], k=2)
    assert [h.chunk.id for h in hits] == ["a", "b"]
    assert hits[0].score == pytest.approx(0.995, abs=1e-3)
    nearest = store.nearest([1.0, 0.1], k=2)  # ids and scores only, in the same order
    assert [c for c, _ in nearest] == ["a", "b"]
    assert [s for _, s in nearest] == pytest.approx([h.score for h in hits], abs=1e-5)


def test_round_trip_keeps_chunk_fields(store: VectorStore) -> None:
    original = Chunk(
        id="x1", article_id="art", index=3, text="Hello there.", start=10, end=22, n_tokens=3
    )
    store.add([original], vectors([0.6, 0.8]))
    assert store.get(["x1"]) == [original]
    assert store.query([0.6, 0.8], k=1)[0].chunk == original


def test_filter_by_article(store: VectorStore) -> None:
    store.add(
        [chunk("a1", "A"), chunk("b1", "B"), chunk("b2", "B", 1)],
        vectors([1.0, 0.0], [0.9, 0.1], [0.0, 1.0]),
    )
    assert {h.chunk.id for h in store.query([1.0, 0.0], k=5, article_ids=["B"])} == {"b1", "b2"}
    assert store.query([1.0, 0.0], k=5, article_ids=[]) == []


def test_upsert_is_idempotent(store: VectorStore) -> None:
    store.add([chunk("a")], vectors([1.0, 0.0]))
    store.add([chunk("a")], vectors([1.0, 0.0]))
    assert store.count() == 1


def test_delete_and_ids(store: VectorStore) -> None:
    store.add([chunk("a"), chunk("b")], vectors([1.0, 0.0], [0.0, 1.0]))
    store.delete(["a", "missing"])
    assert store.ids() == {"b"}
    assert store.count() == 1
    assert store.get(["a", "b"]) == [chunk("b")]


def test_empty_store(store: VectorStore) -> None:
    assert store.query([1.0, 0.0], k=3) == [] and store.nearest([1.0, 0.0], k=3) == []
    assert store.count() == 0 and store.ids() == set()


def test_mismatched_lengths_rejected(store: VectorStore) -> None:
    with pytest.raises(ValueError):
        store.add([chunk("a")], vectors([1.0, 0.0], [0.0, 1.0]))


def test_chroma_persists_across_clients(tmp_path: Path) -> None:
    first = ChromaStore(chroma_client(tmp_path / "home"), "persist")
    first.add([chunk("a")], vectors([1.0, 0.0]))
    del first
    again = ChromaStore(chroma_client(tmp_path / "home"), "persist")
    assert again.ids() == {"a"}


def test_chroma_uses_cosine_and_no_embedding_function(tmp_path: Path) -> None:
    store = ChromaStore(chroma_client(tmp_path / "home"), "space")
    config = store._collection.configuration
    assert config["hnsw"]["space"] == "cosine"
    assert config.get("embedding_function") is None


def test_iter_chunks_and_vectors(store: VectorStore) -> None:
    store.add([chunk("a"), chunk("b")], vectors([1.0, 0.0], [0.0, 1.0]))
    assert {c.id for c in store.iter_chunks()} == {"a", "b"}
    got = store.vectors(["b", "zz"])
    assert set(got) == {"b"}
    assert np.allclose(got["b"], [0.0, 1.0])


def test_server_down_is_a_clear_error(tmp_path: Path) -> None:
    from assistant.errors import ConfigError

    with pytest.raises(ConfigError, match="cannot reach the Chroma server"):
        chroma_client(tmp_path, "http://127.0.0.1:9")


OWNER = """
import sys, time
from pathlib import Path
import numpy as np
from assistant.models import Chunk
from assistant.store.shared import SharedStore
store = SharedStore(Path(sys.argv[1]), "lib")
chunks = [Chunk(id=f"c{i}", article_id="a", index=i, text=f"t{i}", start=0, end=2, n_tokens=1)
          for i in range(3)]
store.add(chunks, np.eye(3, 8, dtype=np.float32))
print("owner ready", flush=True)
time.sleep(120)
"""


def test_a_second_process_uses_the_owners_store_and_takes_over_when_it_ends(
    tmp_path: Path,
) -> None:
    import subprocess
    import sys

    home = tmp_path / "home"
    owner = subprocess.Popen(
        [sys.executable, "-c", OWNER, str(home)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert owner.stdout is not None and owner.stdout.readline().strip() == "owner ready"
        store = SharedStore(home, "lib")  # the lock is taken: this process asks the owner
        assert store.count() == 3
        store.add([chunk("d", "b")], np.ones((1, 8), dtype=np.float32))
        assert [h.chunk.id for h in store.query(np.ones(8, dtype=np.float32), 1, ["b"])] == ["d"]
        assert set(store.vectors(["c1", "d"])) == {"c1", "d"}
    finally:
        owner.kill()
        owner.wait()
    assert store.count() == 4  # the owner died: this process now owns the folder itself
    assert store.ids() == {"c0", "c1", "c2", "d"}


def test_a_process_can_let_the_folder_go(tmp_path: Path) -> None:
    import fcntl

    home = tmp_path / "home"
    store = SharedStore(home, "lib")
    store.add([chunk("a", "x")], np.ones((1, 8), dtype=np.float32))  # this process owns it

    def lock_is_free() -> bool:
        with (home / LOCK_NAME).open("a") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                return False
            fcntl.flock(handle, fcntl.LOCK_UN)
            return True

    assert not lock_is_free() and (home / SOCKET_NAME).exists()
    release(home)
    assert lock_is_free() and not (home / SOCKET_NAME).exists()
    assert store.count() == 1  # the next call takes the folder back
    assert not lock_is_free()


def _exact(
    vectors_by_article: dict[str, np.ndarray], query: np.ndarray, allowed: set[str], k: int
) -> list[str]:
    scores = {
        a: float(v @ query / np.linalg.norm(v) / np.linalg.norm(query))
        for a, v in vectors_by_article.items()
        if a in allowed
    }
    return sorted(scores, key=lambda a: -scores[a])[:k]


@pytest.mark.parametrize("share", ["most", "few", "few-in-parts", "few-capped"])
def test_filter_by_thousands_of_articles(
    store: VectorStore, share: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A date window can allow tens of thousands of articles: more ids than one chroma filter
    takes (each id an SQL variable). Then more and more of the nearest are taken and filtered,
    and when they hold too few, the allowed articles are searched part by part. Either way,
    the exact top k. Chroma binds each neighbour asked for as an SQL variable too, so the
    neighbours taken stop at MAX_NEAREST ("few-capped" lowers it below the library's size)."""
    if share == "few-in-parts":  # the nearest never hold enough: part by part
        monkeypatch.setattr(vector_store, "OVERFETCH", (2,))
    if share == "few-capped":
        monkeypatch.setattr(vector_store, "MAX_NEAREST", 12)
    rng = np.random.default_rng(3)
    n = 1200
    rows = rng.normal(size=(n, 8)).astype(np.float32)
    articles = {f"art{i:04d}": rows[i] for i in range(n)}
    store.add([chunk(f"c{i:04d}", article=f"art{i:04d}") for i in range(n)], rows)
    query = rng.normal(size=8).astype(np.float32)
    if share == "most":
        allowed = {a for i, a in enumerate(sorted(articles)) if i % 5}
        ids = sorted(allowed)
    else:
        far = sorted(articles, key=lambda a: float(articles[a] @ query))[:7]  # the least similar
        allowed = set(far)
        gone = 40_000 if share == "few" else 1_500  # 40,000: past SQLite's 32,766 variables
        ids = far + [f"gone{i}" for i in range(gone)]
    hits = store.query(query, k=5, article_ids=ids)
    assert [h.chunk.article_id for h in hits] == _exact(articles, query, allowed, 5)
