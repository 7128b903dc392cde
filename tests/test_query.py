"""The one request shape: Query and SummaryRequest reach the API, the CLI and the eval alike."""

from __future__ import annotations

import typing

import pytest

from assistant.api import Assistant
from assistant.cli import build_parser, options_from
from assistant.errors import ConfigError, InputError
from assistant.query import (
    BriefOptions,
    BriefRequest,
    Filters,
    Query,
    QueryOptions,
    SummaryOptions,
    SummaryRequest,
)
from assistant.registry import Registry


@pytest.mark.parametrize(
    ("model", "typed"),
    [
        pytest.param(Query, QueryOptions, id="query"),
        pytest.param(SummaryRequest, SummaryOptions),
        pytest.param(BriefRequest, BriefOptions, id="brief"),
    ],
)
def test_the_typed_keywords_match_the_model(model: type, typed: type) -> None:
    assert set(typing.get_type_hints(typed)) == set(model.model_fields)


def test_every_query_option_is_on_the_command_line() -> None:
    args = build_parser().parse_args(
        [
            "ask",
            "q?",
            "--library",
            "world",
            "--engine",
            "extractive",
            "--model",
            "m",
            "--k",
            "3",
            "--mode",
            "dense",
            "--postprocess",
            "recency",
            "--mmr",
            "0.5",
            "--recency",
            "7",
            "--min-confidence",
            "0.4",
            "--article",
            "a",
            "--article",
            "b",
            "--source",
            "bbc",
            "--title",
            "Kyiv",
            "--since",
            "2026-01-01",
            "--until",
            "2026-02-01",
            "--when",
            "off",
            "--now",
            "2026-02-05",
        ]
    )
    query = options_from(args, Query)
    assert query == Query(
        library="world",
        engine="extractive",
        model="m",
        k=3,
        retriever="dense",
        postprocess=["recency"],
        mmr=0.5,
        recency=7,
        min_confidence=0.4,
        when="off",
        now="2026-02-05",  # type: ignore[arg-type]
        filters=Filters(
            article_ids=["a", "b"],
            source="bbc",
            title="Kyiv",
            date_from="2026-01-01",  # type: ignore[arg-type]
            date_to="2026-02-01",  # type: ignore[arg-type]
        ),
    )
    assert query.postprocessors() == ["recency", "mmr"]  # `--when off`: no time window
    assert Query(mmr=0.5).postprocessors() == ["when", "mmr"]


def test_summary_options_on_the_command_line() -> None:
    args = build_parser().parse_args(
        ["summarize", "a", "b", "--length", "short", "--format", "bullets", "--model", "m"]
    )
    request = options_from(args, SummaryRequest)
    assert request == SummaryRequest(
        article_ids=["a", "b"], length="short", format="bullets", model="m"
    )


@pytest.mark.parametrize(
    ("options", "match"),
    [
        pytest.param({"kk": 3}, "unknown option 'kk'", id="typo"),
        pytest.param({"k": 0}, "k: Input should be greater than 0", id="range"),
        pytest.param({"mmr": 2.0}, "mmr: Input should be less than or equal to 1", id="mmr"),
    ],
)
def test_a_bad_option_is_a_clear_error(
    fake_assistant: Assistant, options: dict[str, object], match: str
) -> None:
    with pytest.raises(InputError, match=match):
        fake_assistant.ask("How cold was it?", **options)  # type: ignore[arg-type]


def test_an_unknown_part_names_the_known_ones(fake_assistant: Assistant) -> None:
    fake_assistant.ingest_samples()
    with pytest.raises(ConfigError, match="no retriever called 'magic'; known: hybrid, dense"):
        fake_assistant.ask("How cold was it?", retriever="magic")


def test_registry_imports_builtins_on_first_use_and_takes_new_parts() -> None:
    parts: Registry[type] = Registry("part", {"lazy": "collections:OrderedDict"})
    assert parts.names() == ["lazy"]

    @parts.register("mine")
    class Mine:
        pass

    assert parts.get("lazy").__name__ == "OrderedDict" and parts.get("mine") is Mine
    assert "mine" in parts and "other" not in parts
    with pytest.raises(ConfigError, match="use letters, digits"):
        parts.add("bad name!", Mine)


def test_a_missing_plugin_module_is_a_clear_error(fake_assistant: Assistant) -> None:
    with pytest.raises(ConfigError, match="ASSISTANT_PLUGINS names 'no_such_module'"):
        Assistant(fake_assistant.settings, plugins="no_such_module")


def test_every_brief_option_is_on_the_command_line() -> None:
    args = build_parser().parse_args(
        ["brief", "-l", "world", "--engine", "openai", "--model", "m", "--since", "2026-02-01"]
        + ["--story", "ab12", "--limit", "3"]
    )
    assert options_from(args, BriefRequest) == BriefRequest(
        library="world", engine="openai", model="m", since="2026-02-01", story="ab12", limit=3
    )
    stories = build_parser().parse_args(["stories", "--since", "2026-02-01", "-l", "world"])
    assert options_from(stories, BriefRequest).since is not None
