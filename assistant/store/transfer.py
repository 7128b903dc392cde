"""Moving a library between setups (embedded, server) without embedding anything again.

An export folder holds:

- `manifest.json`: format name and version, the library, its embedder and vector size, counts;
- `articles.jsonl`: one stored article a line (the article with its text, chunk ids, chunker);
- `chunks.jsonl`: one chunk a line, each article's chunks in order, articles in file order;
- `vectors.npy`: float32, one row per line of `chunks.jsonl`.

The export runs under the library's writer lock, so it is one consistent state. The import
writes like an ingest flush (intents, vectors, catalog rows with `restore`, intents cleared),
so an interrupted import is repaired by the next ingest's reconcile.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import numpy as np
from pydantic import BaseModel, Field, ValidationError

from assistant.errors import ConfigError, InputError
from assistant.models import Chunk
from assistant.store.catalog import StoredArticle, packed_by
from assistant.store.library import Library

FORMAT = "article-assistant-library"
VERSION = 1
PAGE = 200  # articles read, or chunks written, together


class Manifest(BaseModel):
    """What an export folder holds."""

    format: str = FORMAT
    version: int = VERSION
    library: str
    embedder: str = Field(description="the embedder that made the vectors")
    dim: int
    n_articles: int
    n_chunks: int
    exported_at: dt.datetime


def export_library(library: Library, folder: Path) -> Manifest:
    """Write a library's articles, chunks and vectors into `folder` (new or empty)."""
    if folder.exists() and any(folder.iterdir()):
        raise InputError(f"{folder} is not empty: export into a new folder")
    folder.mkdir(parents=True, exist_ok=True)
    catalog, name = library.catalog, library.name
    with catalog.writer_lock(name):
        row = catalog.library(name)
        assert row is not None
        ids = sorted(s.article.id for s in catalog.all(name))
        n_chunks = sum(len(c) for c in catalog.chunk_ids(name).values())
        dim = row.dim
        vectors = (
            np.lib.format.open_memmap(
                folder / "vectors.npy", mode="w+", dtype=np.float32, shape=(n_chunks, dim)
            )
            if n_chunks
            else np.zeros((0, dim), dtype=np.float32)
        )
        written = 0
        with (
            (folder / "articles.jsonl").open("w", encoding="utf-8") as articles,
            (folder / "chunks.jsonl").open("w", encoding="utf-8") as chunk_lines,
        ):
            for first in range(0, len(ids), PAGE):
                page = catalog.get_many(name, ids[first : first + PAGE])
                for article_id in ids[first : first + PAGE]:
                    stored = page[article_id]
                    chunks = catalog.chunks(name, article_id)
                    found = library.store.vectors([c.id for c in chunks])
                    missing = [c.id for c in chunks if c.id not in found]
                    if missing or [c.id for c in chunks] != stored.chunk_ids:
                        raise InputError(
                            f"article {article_id!r} has chunks missing from the vector store "
                            f"({len(missing)}); re-ingest it, then export again"
                        )
                    articles.write(stored.model_dump_json() + "\n")
                    for chunk in chunks:
                        chunk_lines.write(chunk.model_dump_json() + "\n")
                        vectors[written] = found[chunk.id]
                        written += 1
        if isinstance(vectors, np.memmap):
            vectors.flush()
        else:
            np.save(folder / "vectors.npy", vectors)
        del vectors
        manifest = Manifest(
            library=name,
            embedder=row.embedder,
            dim=dim,
            n_articles=len(ids),
            n_chunks=written,
            exported_at=dt.datetime.now(dt.UTC).replace(microsecond=0),
        )
    (folder / "manifest.json").write_text(manifest.model_dump_json(indent=2) + "\n")
    return manifest


def read_manifest(folder: Path) -> Manifest:
    """The manifest of an export folder, or an InputError saying what is wrong."""
    path = folder / "manifest.json"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        manifest = Manifest.model_validate(data)
    except FileNotFoundError:
        raise InputError(
            f"{folder} has no manifest.json: is it a folder written by "
            "`assistant libraries export`?"
        ) from None
    except (ValueError, ValidationError) as error:
        raise InputError(f"{path} is not a library manifest: {error}") from None
    if manifest.format != FORMAT or manifest.version > VERSION:
        raise InputError(
            f"{path} is {manifest.format!r} version {manifest.version}; this assistant reads "
            f"{FORMAT!r} up to version {VERSION}: upgrade it"
        )
    return manifest


def check_embedder(manifest: Manifest, embedder: str) -> None:
    """Refuse vectors made by another embedder than the one this setup uses."""
    if manifest.embedder != embedder:
        raise ConfigError(
            f"the export was embedded with {manifest.embedder!r} but this setup uses "
            f"{embedder!r}: its vectors would not match. Set ASSISTANT_EMBEDDER (or "
            "ASSISTANT_MODEL_DIR) to the export's embedder to import it"
        )


def import_library(folder: Path, library: Library, flush_chunks: int = 256) -> Manifest:
    """Write an export into an empty library: catalog rows and the exported vectors."""
    manifest = read_manifest(folder)
    check_embedder(manifest, library.embedder.name)
    catalog, name = library.catalog, library.name
    vectors = np.load(folder / "vectors.npy", mmap_mode="r" if manifest.n_chunks else None)
    if vectors.shape != (manifest.n_chunks, manifest.dim):
        raise InputError(
            f"{folder / 'vectors.npy'} holds {vectors.shape}, the manifest says "
            f"({manifest.n_chunks}, {manifest.dim})"
        )
    with catalog.writer_lock(name):
        n_articles, _ = catalog.count(name)
        if n_articles:
            raise InputError(
                f"library {name!r} already has {n_articles} articles: import into a new "
                "library (--as NAME)"
            )
        library.reconcile()
        if manifest.dim:
            catalog.set_dim(name, manifest.dim)
        batch: list[tuple[StoredArticle, list[Chunk]]] = []
        row = 0
        for stored, chunks in _read(folder, manifest):
            batch.append((stored, chunks))
            if sum(len(c) for _, c in batch) >= flush_chunks:
                row = _write(library, batch, vectors, row)
        row = _write(library, batch, vectors, row)
    return manifest


def _write(
    library: Library,
    batch: list[tuple[StoredArticle, list[Chunk]]],
    vectors: np.ndarray,
    row: int,
) -> int:
    """Store one batch of articles like an ingest flush; the next vector row."""
    chunks = [c for _, cs in batch for c in cs]
    ids = [c.id for c in chunks]
    rows = np.asarray(vectors[row : row + len(chunks)], dtype=np.float32)
    if chunks:
        library.catalog.intend(library.name, ids)
        library.store.add(chunks, rows)
    kept = packed_by(rows, [len(article_chunks) for _, article_chunks in batch])
    for (stored, article_chunks), article_rows in zip(batch, kept, strict=True):
        library.catalog.restore(library.name, stored, article_chunks, article_rows)
    library.catalog.forget_intents(library.name, ids)
    batch.clear()
    return row + len(chunks)


def _read(folder: Path, manifest: Manifest) -> Iterator[tuple[StoredArticle, list[Chunk]]]:
    """(article, its chunks) pairs from the two JSONL files, checked against each other."""
    n_articles = n_chunks = 0
    with (
        (folder / "articles.jsonl").open(encoding="utf-8") as articles,
        (folder / "chunks.jsonl").open(encoding="utf-8") as chunk_lines,
    ):
        for line_number, line in enumerate(articles, start=1):
            try:
                stored = StoredArticle.model_validate_json(line)
                chunks = [Chunk.model_validate_json(next(chunk_lines)) for _ in stored.chunk_ids]
            except (ValidationError, StopIteration) as error:
                raise InputError(
                    f"{folder / 'articles.jsonl'} line {line_number} or its chunks are not "
                    f"readable: {str(error).splitlines()[0] if str(error) else 'too few chunks'}"
                ) from None
            if [c.id for c in chunks] != stored.chunk_ids:
                raise InputError(
                    f"the chunks of article {stored.article.id!r} in chunks.jsonl do not match "
                    "its chunk ids: the export is damaged"
                )
            n_articles += 1
            n_chunks += len(chunks)
            yield stored, chunks
        if next(chunk_lines, None) is not None:
            raise InputError(f"{folder / 'chunks.jsonl'} has chunks no article owns")
    if (n_articles, n_chunks) != (manifest.n_articles, manifest.n_chunks):
        raise InputError(
            f"{folder} holds {n_articles} articles and {n_chunks} chunks, the manifest says "
            f"{manifest.n_articles} and {manifest.n_chunks}"
        )
