"""A plugin for subprocess tests: registers the hash embedder as `ASSISTANT_EMBEDDER=hash`.

Used with ASSISTANT_PLUGINS=hash_plugin and PYTHONPATH=tests, so that many processes can
ingest quickly; never the product's default.
"""

from __future__ import annotations

from fakes import HashEmbedder

from assistant.config import Settings
from assistant.embeddings import EMBEDDERS, Embedder


def hash_embedder(settings: Settings, argument: str = "") -> Embedder:
    return HashEmbedder()


EMBEDDERS.add("hash", hash_embedder)
