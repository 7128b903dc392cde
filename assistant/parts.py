"""What a pluggable part is built from: one `Parts` per library, engine and model."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from assistant.config import Settings
from assistant.llm import LLM
from assistant.store.library import Library
from assistant.tokens import Tokenizer


@dataclass(frozen=True)
class Parts:
    """The library a part works on, the settings, and the chat model (built on first use).

    A registered factory receives one of these: `ENGINES.register("mine")` on a class whose
    `__init__(self, parts)` keeps what it needs.
    """

    library: Library
    settings: Settings
    tokenizer: Tokenizer
    chat: Callable[[], LLM]
    """The LLM the request asked for; raises ConfigError when no endpoint is configured."""
