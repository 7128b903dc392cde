"""Settings: defaults < .env < environment < explicit arguments. Read once, passed down."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit, urlunsplit

from pydantic import AliasChoices, Field, field_serializer, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

DEFAULT_HOME = Path("~/.local/share/assistant")
LIBRARY_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,61}[A-Za-z0-9]$")


class Settings(BaseSettings):
    """Every knob of the assistant, with the environment variable that sets it."""

    model_config = SettingsConfigDict(
        env_prefix="ASSISTANT_",
        env_file=".env",
        extra="ignore",
        validate_default=True,
        populate_by_name=True,
    )

    home: Path = Field(DEFAULT_HOME, description="data directory (ASSISTANT_HOME)")
    library: str = Field("default", description="library (collection) name")
    chroma_url: str | None = Field(
        None,
        description="a Chroma server (http://host:port) for the vectors; server mode, with "
        "ASSISTANT_DATABASE_URL",
    )
    database_url: str | None = Field(
        None,
        description="a PostgreSQL catalog (postgresql://user:password@host:5432/db) shared by "
        "machines; server mode, with ASSISTANT_CHROMA_URL",
        repr=False,
    )
    embedder: str = Field(
        "local-minilm",
        description="'local-minilm' (bundled ONNX model) or 'openai:<model>'",
    )
    model_dir: Path | None = Field(
        None, description="your own ONNX model directory (model.onnx + tokenizer.json)"
    )
    embed_batch_size: int = Field(4, gt=0, le=256, description="texts per ONNX call")
    chunk_tokens: int = Field(200, gt=16, le=8192, description="target chunk size, cl100k tokens")
    chunk_overlap: int = Field(30, ge=0, description="overlap between chunks, cl100k tokens")
    flush_chunks: int = Field(
        256, gt=0, le=100_000, description="chunks embedded and committed together while ingesting"
    )
    exact_search_chunks: int = Field(
        30_000,
        ge=0,
        description="libraries of up to this many chunks are searched exactly over the "
        "catalog's vector copies, without opening the vector store's index; 0: never",
    )
    top_k: int = Field(6, gt=0, le=100)
    fetch_timeout: float = Field(20.0, gt=0, description="seconds for one URL")
    fetch_max_bytes: int = Field(10_000_000, gt=0, description="size cap for one URL")
    max_file_bytes: int = Field(100_000_000, gt=0, description="size cap for one file")
    host_delay: float = Field(
        1.0, ge=0, le=600, description="seconds between two requests to one host (feeds, watch)"
    )
    robots: bool = Field(
        True, description="fetch feed items and watched feeds only where robots.txt allows"
    )
    feed_max_items: int = Field(
        500, gt=0, description="items taken from one feed, sitemap or URL list"
    )
    max_upload_mb: int = Field(50, gt=0, description="largest file the web UI accepts, in MB")
    max_article_chars: int = Field(
        2_000_000, gt=0, description="cap on one article's cleaned text (about 1,000 pages)"
    )
    engine: str = Field(
        "auto", description="answer engine: 'auto' (the LLM when configured), or a name"
    )
    min_confidence: float | None = Field(
        None, ge=0.0, le=1.0, description="abstain below this confidence (None: the engine's own)"
    )
    unverified: Literal["replace", "refuse", "flag"] = Field(
        "replace",
        description="an LLM reply with no valid citation or a contradicted claim: replace it by "
        "the offline answer, refuse, or show it flagged",
    )
    claim_judge: bool = Field(
        True, description="with an LLM engine, let the LLM re-check claims the rules leave open"
    )
    plugins: str = Field(
        "", description="comma-separated modules that register parts (engines, retrievers...)"
    )
    log_level: str = Field("WARNING", description="DEBUG shows retrieval, prompts and timings")
    chat_model: str | None = Field(None, description="LLM model name; None: built-in default")
    chat_provider: str = Field("openai", description="chat provider (a registered name)")
    openai_api_key: str | None = Field(
        None,
        validation_alias=AliasChoices("ASSISTANT_OPENAI_API_KEY", "OPENAI_API_KEY"),
        repr=False,
    )
    openai_base_url: str | None = Field(
        None, validation_alias=AliasChoices("ASSISTANT_OPENAI_BASE_URL", "OPENAI_BASE_URL")
    )
    llm_timeout: float = Field(60.0, gt=0, description="seconds for one LLM request")
    llm_retries: int = Field(2, ge=0, le=10, description="retries after a failed LLM request")
    llm_fallback: bool = Field(
        True, description="when the LLM fails, answer with the extractive engine and say so"
    )
    context_tokens: int = Field(8192, ge=1024, description="the chat model's context window")
    answer_tokens: int = Field(700, ge=64, description="most tokens an LLM answer may use")

    @field_serializer("openai_api_key", when_used="json")
    def _hide_key(self, value: str | None) -> str | None:
        return "[hidden]" if value else None

    @field_serializer("database_url", when_used="json")
    def _hide_password(self, value: str | None) -> str | None:
        return redact_url(value) if value else None

    @field_validator("home", mode="after")
    @classmethod
    def _expand_home(cls, value: Path) -> Path:
        return value.expanduser()

    @field_validator("model_dir", mode="after")
    @classmethod
    def _expand_model_dir(cls, value: Path | None) -> Path | None:
        return value.expanduser() if value is not None else None

    @field_validator("library")
    @classmethod
    def _valid_library(cls, value: str) -> str:
        return check_library_name(value)

    @model_validator(mode="after")
    def _overlap_below_size(self) -> Settings:
        if self.chunk_overlap >= self.chunk_tokens:
            raise ValueError(
                f"chunk_overlap ({self.chunk_overlap}) must be smaller than "
                f"chunk_tokens ({self.chunk_tokens})"
            )
        return self


def redact_url(url: str) -> str:
    """The URL with its password replaced by ***, to show in messages and settings."""
    try:
        parts = urlsplit(url)
        password = parts.password
    except ValueError:
        return "(unreadable URL)"
    if password is None:
        return url
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(
        (parts.scheme, f"{parts.username}:***@{host}", parts.path, parts.query, parts.fragment)
    )


def check_library_name(name: str) -> str:
    """Return the name if chroma accepts it as a collection name, else raise ValueError."""
    if not LIBRARY_NAME.match(name) or ".." in name:
        raise ValueError(
            f"library name {name!r} is not valid: use 3-63 letters, digits, '.', '_' or '-', "
            "starting and ending with a letter or digit"
        )
    return name
