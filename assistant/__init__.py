"""Article assistant: ingest news articles, ask questions, get answers that cite their sentences.

>>> from assistant import Assistant
>>> Assistant().ask("How many drones did Russia launch?").citations[0].article_id
'samples/russia-ukraine-strikes'
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from assistant.config import Settings
from assistant.errors import (
    AssistantError,
    ConfigError,
    IngestError,
    InputError,
    NotFoundError,
    PromptError,
    ProviderError,
)
from assistant.models import (
    Answer,
    Article,
    Chunk,
    Citation,
    Document,
    Hit,
    IngestItem,
    IngestReport,
    IngestStatus,
    Summary,
    Turn,
)
from assistant.query import Filters, Query, SummaryRequest

if TYPE_CHECKING:
    from assistant.api import Assistant, Chat

__all__ = [
    "Answer",
    "Article",
    "Assistant",
    "AssistantError",
    "Chat",
    "Chunk",
    "Citation",
    "ConfigError",
    "Document",
    "Filters",
    "Hit",
    "IngestError",
    "IngestItem",
    "IngestReport",
    "IngestStatus",
    "InputError",
    "NotFoundError",
    "PromptError",
    "ProviderError",
    "Query",
    "Settings",
    "Summary",
    "SummaryRequest",
    "Turn",
]


def __getattr__(name: str) -> Any:
    """`Assistant` and `Chat` are imported on first use: the CLI starts faster without them."""
    if name in ("Assistant", "Chat"):
        from assistant import api

        return getattr(api, name)
    raise AttributeError(f"module 'assistant' has no attribute {name!r}")
