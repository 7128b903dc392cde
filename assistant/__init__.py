"""Article assistant: ingest news articles, ask questions, get answers that cite their sentences."""

from assistant.config import Settings
from assistant.errors import (
    AssistantError,
    ConfigError,
    IngestError,
    NotFoundError,
    PromptError,
    ProviderError,
)
from assistant.models import Article, Chunk, Document, Hit, IngestItem, IngestReport, IngestStatus

__all__ = [
    "Article",
    "AssistantError",
    "Chunk",
    "ConfigError",
    "Document",
    "Hit",
    "IngestError",
    "IngestItem",
    "IngestReport",
    "IngestStatus",
    "NotFoundError",
    "PromptError",
    "ProviderError",
    "Settings",
]
