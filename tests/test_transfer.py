"""Moving a library: embedded -> export -> server -> export -> another embedded home.

Nothing is embedded again (the embedder counts its calls), and every setup answers the same
questions with the same text and the same cited chunks.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from fakes import HashEmbedder

from assistant.api import Assistant
from assistant.cli import main
from assistant.config import Settings
from assistant.errors import ConfigError, InputError
from assistant.models import Answer
from assistant.store.catalog import unpacked

QUESTIONS = [
    "How many missiles did Russia launch?",
    "What happened to district heating?",
    "Who installed the monument?",
]


def answers(assistant: Assistant, library: str) -> list[tuple[str, list[str]]]:
    out = []
    for question in QUESTIONS:
        answer: Answer = assistant.ask(question, library=library)
        out.append((answer.text, [c.chunk_id for c in answer.citations]))
    return out


def exported(folder: Path) -> tuple[str, str, np.ndarray, dict[str, object]]:
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest.pop("exported_at")
    return (
        (folder / "articles.jsonl").read_text(),
        (folder / "chunks.jsonl").read_text(),
        np.load(folder / "vectors.npy"),
        manifest,
    )


def test_a_library_moves_between_setups_without_embedding_again(
    settings: Settings, chroma_server: str, database_url: str, tmp_path: Path
) -> None:
    embedded = Assistant(settings, embedder=HashEmbedder())
    assert embedded.ingest_samples().ok
    before = answers(embedded, "default")
    assert before[0][1], "the first question should be answered with citations"
    first = embedded.export_library("default", tmp_path / "export-1")
    assert (first.library, first.embedder, first.dim) == ("default", "hash-64", 64)
    assert (first.n_articles, first.n_chunks) == embedded.library().stats()

    server_embedder = HashEmbedder()
    server = Assistant(
        settings.model_copy(
            update={
                "home": tmp_path / "server-home",
                "database_url": database_url,
                "chroma_url": chroma_server,
            }
        ),
        embedder=server_embedder,
    )
    moved = server.import_library(tmp_path / "export-1", name="moved-in")
    assert (moved.n_articles, moved.n_chunks) == (first.n_articles, first.n_chunks)
    assert server_embedder.texts_embedded == 0  # the vectors came from the export
    library = server.library("moved-in")
    assert library.stats() == (first.n_articles, first.n_chunks)
    assert library.check().clean and library.catalog.intents("moved-in") == []
    assert answers(server, "moved-in") == before
    # The catalog keeps its float16 copy of each imported vector, as an ingest writes it.
    ids = [c for ids in library.catalog.chunk_ids("moved-in").values() for c in ids]
    _, kept = library.catalog.chunks_with_vectors("moved-in", ids)
    stored = library.store.vectors(ids)
    assert sorted(kept) == sorted(ids)
    for chunk_id, blob in kept.items():
        np.testing.assert_allclose(unpacked([blob])[0], stored[chunk_id], atol=2e-3)

    server.export_library("moved-in", tmp_path / "export-2")
    articles_1, chunks_1, vectors_1, manifest_1 = exported(tmp_path / "export-1")
    articles_2, chunks_2, vectors_2, manifest_2 = exported(tmp_path / "export-2")
    assert (articles_2, chunks_2) == (articles_1, chunks_1)
    np.testing.assert_allclose(vectors_2, vectors_1, atol=1e-6)
    assert {**manifest_2, "library": "default"} == manifest_1

    other = Assistant(
        settings.model_copy(update={"home": tmp_path / "other-home"}), embedder=HashEmbedder()
    )
    other.import_library(tmp_path / "export-2")
    assert other.library("moved-in").stats() == (first.n_articles, first.n_chunks)
    assert answers(other, "moved-in") == before
    assert [a.id for a in other.articles("moved-in")] == [a.id for a in embedded.articles()]


def test_an_import_refuses_another_embedder_a_full_library_and_a_bad_folder(
    fake_assistant: Assistant, settings: Settings, tmp_path: Path
) -> None:
    fake_assistant.ingest_samples()
    fake_assistant.export_library("default", tmp_path / "out")
    with pytest.raises(InputError, match="not empty"):
        fake_assistant.export_library("default", tmp_path / "out")
    other = Assistant(
        settings.model_copy(update={"home": tmp_path / "b"}), embedder=HashEmbedder(name="x-64")
    )
    with pytest.raises(ConfigError, match="embedded with 'hash-64' but this setup uses 'x-64'"):
        other.import_library(tmp_path / "out")
    assert other.libraries() == []  # refused before anything was created
    with pytest.raises(InputError, match="already has 4 articles"):
        fake_assistant.import_library(tmp_path / "out")
    with pytest.raises(InputError, match="no manifest.json"):
        fake_assistant.import_library(tmp_path, name="x-lib")
    manifest = tmp_path / "out" / "manifest.json"
    manifest.write_text(manifest.read_text().replace('"version": 1', '"version": 99'))
    with pytest.raises(InputError, match="upgrade"):
        fake_assistant.import_library(tmp_path / "out", name="x-lib")


def test_cli_exports_and_imports(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("ASSISTANT_EMBEDDER", "hash")
    monkeypatch.setenv("ASSISTANT_PLUGINS", "hash_plugin")
    assert main(["demo"]) == 0
    capsys.readouterr()
    assert main(["libraries", "export", "default", str(tmp_path / "dump")]) == 0
    assert "exported library 'default': 4 articles" in capsys.readouterr().out
    assert main(["libraries", "import", str(tmp_path / "dump"), "--as", "copy"]) == 0
    assert "into library 'copy'" in capsys.readouterr().out
    assert main(["libraries", "--json"]) == 0
    listed = {i["name"]: i["n_articles"] for i in json.loads(capsys.readouterr().out)}
    assert listed == {"copy": 4, "default": 4}
    assert main(["libraries", "import", str(tmp_path / "dump"), "--as", "copy"]) == 1
    assert "already has 4 articles" in capsys.readouterr().err
