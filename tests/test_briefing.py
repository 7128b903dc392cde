"""Briefings end to end: chromadb on disk, the hash embedder, and the real openai client against
the OpenAI-compatible test server on 127.0.0.1 for the LLM's "what happened"."""

from __future__ import annotations

import json
from pathlib import Path

import openai
import pytest
from fakes import HashEmbedder
from openai_server import OpenAIServer, Reply

from assistant.api import Assistant
from assistant.config import Settings
from assistant.errors import ConfigError, NotFoundError
from assistant.llm import OpenAIChat
from assistant.models import Briefing, Summary
from assistant.summarize.briefing import speaker

QUAKE_ONE = {
    "url": "https://one.example/quake",
    "date": "2026-03-01",
    "title": "Earthquake shakes Valparaiso",
    "text": "A strong earthquake shook the Chilean port city of Valparaiso on Sunday, damaging "
    "old houses and cutting power to thousands of homes. The earthquake killed 12 people in "
    "the port city, the interior ministry said. Rescuers searched collapsed houses through "
    "the night. “We have never felt anything like it,” said Mayor Camila Nieto.",
}
QUAKE_TWO = {
    "url": "https://two.example/valparaiso-quake",
    "date": "2026-03-01",
    "title": "Valparaiso earthquake cuts power",
    "text": "A strong earthquake shook the Chilean port city of Valparaiso on Sunday, cutting "
    "power to thousands of homes and damaging old houses. The earthquake killed 21 people in "
    "the port city, the interior ministry said. Rescuers searched collapsed houses through "
    "the night, President Gabriel Boric told reporters.",
}
FINAL = {
    "url": "https://one.example/final",
    "date": "2026-03-01",
    "title": "Porto win the cup final",
    "text": "Porto beat Benfica in the cup final in Lisbon on Saturday night, with a late goal "
    "from their captain settling a tense match before a full stadium.",
}


def ingest(assistant: Assistant, tmp_path: Path, *rows: dict[str, str]) -> None:
    path = tmp_path / "pages.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert assistant.ingest(path).ok


def quake_section(briefing: Briefing) -> Summary:
    [section] = [s for s in briefing.stories if s.story.size == 2]
    return section.summary


def assert_quotes_are_exact(assistant: Assistant, summary: Summary) -> None:
    for citation in summary.citations:
        article = assistant.article(citation.article_id)
        assert article.text[citation.start : citation.end] == citation.quote
        chunk = next(c for c in assistant.chunks(article.id) if c.id == citation.chunk_id)
        assert chunk.start <= citation.start and citation.end <= chunk.end


@pytest.mark.parametrize(
    ("sentence", "who"),
    [
        pytest.param(
            "Russia fired 71 missiles, the Ukrainian air force said.",
            "the Ukrainian air force",
            id="after-a-comma",
        ),
        pytest.param("“We need help,” said Gov. JB Pritzker.", "Gov. JB Pritzker", id="inverted"),
        pytest.param(
            "The crash happened at 2 p.m., according to the Martin County Sheriff's Office.",
            "the Martin County Sheriff's Office",
            id="according-to",
        ),
        pytest.param(
            "Speaking to reporters, Secretary of State Marco Rubio said he would go.",
            "Secretary of State Marco Rubio",
            id="subject-first",
        ),
        pytest.param("Trump said on Tuesday that he would visit.", "Trump", id="one-name"),
        pytest.param("Officials said the road was closed.", None, id="unnamed-group"),
        pytest.param("He told reporters he would stay.", None, id="pronoun"),
        pytest.param("The company said profits rose.", None, id="unnamed-company"),
        pytest.param("Prices rose 5% in March.", None, id="no-attribution"),
    ],
)
def test_speaker(sentence: str, who: str | None) -> None:
    assert speaker(sentence) == who


def test_offline_briefing_cites_every_part_and_the_differing_number(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    ingest(fake_assistant, tmp_path, QUAKE_ONE, QUAKE_TWO, FINAL)
    briefing = fake_assistant.brief(limit=1)
    assert briefing.engine == "extractive" and briefing.n_stories == 2
    [section] = briefing.stories
    summary = section.summary
    assert summary.text.startswith("What happened: ")
    assert [s.number for s in summary.sources] == [1, 2]
    assert section.happened and all(s.citations for s in section.happened)
    assert "Who said what:" in summary.text
    quoted = {s.citations[0].quote for s in section.said}
    assert any("Camila Nieto" in q or "Gabriel Boric" in q for q in quoted)
    [difference] = section.differences
    assert difference.kind == "number" and difference.values == ("12 people", "21 people")
    assert difference.text == "Sources differ: 12 people [1] vs 21 people [2]"
    assert difference.text in summary.text.splitlines()
    one, two = difference.citations
    assert (one.number, two.number) == (1, 2)
    assert "12 people" in one.quote and "21 people" in two.quote
    assert all(s.citations for s in summary.sentences), "every sentence is cited"
    assert_quotes_are_exact(fake_assistant, summary)


def test_agreeing_articles_give_no_sources_differ_line(
    fake_assistant: Assistant, tmp_path: Path
) -> None:
    agreeing = {**QUAKE_TWO, "text": QUAKE_TWO["text"].replace("21 people", "12 people")}
    ingest(fake_assistant, tmp_path, QUAKE_ONE, agreeing)
    section = fake_assistant.brief().stories[0]
    assert section.story.size == 2
    assert section.differences == [] and "Sources differ" not in section.summary.text


def test_one_story_by_its_id_or_an_article_id(fake_assistant: Assistant, tmp_path: Path) -> None:
    ingest(fake_assistant, tmp_path, QUAKE_ONE, QUAKE_TWO, FINAL)
    final = next(s for s in fake_assistant.stories() if s.size == 1)
    by_id = fake_assistant.brief(story=final.id[:5])
    by_article = fake_assistant.brief(story="one.example/fin")
    assert [s.story.id for s in by_id.stories] == [final.id]
    assert [s.story.id for s in by_article.stories] == [final.id]
    with pytest.raises(NotFoundError, match="assistant stories"):
        fake_assistant.brief(story="nothing-like-it")


def test_briefing_errors_say_what_to_do(fake_assistant: Assistant, tmp_path: Path) -> None:
    with pytest.raises(NotFoundError, match="does not exist"):
        fake_assistant.brief()
    ingest(fake_assistant, tmp_path, FINAL)
    with pytest.raises(NotFoundError, match="dated on or after 2030-01-01"):
        fake_assistant.brief(since="2030-01-01")  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="extractive"):
        fake_assistant.brief(engine="nonsense")


def test_the_llm_writes_what_happened_and_the_checker_the_differences(
    settings: Settings, tmp_path: Path, openai_server: OpenAIServer
) -> None:
    client = openai.OpenAI(base_url=openai_server.base_url, api_key="k", max_retries=0)
    assistant = Assistant(
        settings, embedder=HashEmbedder(), llm=OpenAIChat(client, "test-model"), engine="openai"
    )
    ingest(assistant, tmp_path, QUAKE_ONE, QUAKE_TWO)
    openai_server.script(
        Reply(
            "A strong earthquake shook Valparaiso on Sunday and cut power to thousands of "
            "homes [1]. Rescuers searched collapsed houses through the night [2]."
        )
    )
    briefing = assistant.brief()
    summary = quake_section(briefing)
    assert briefing.engine == "openai" and summary.model == "test-model"
    assert summary.llm_calls == 1
    happened = briefing.stories[0].happened
    assert [s.citations[0].number for s in happened] == [1, 2]
    assert "Sources differ: 12 people [1] vs 21 people [2]" in summary.text
    prompt = openai_server.requests[-1].body["messages"][-1]["content"]
    assert "Earthquake shakes Valparaiso" in prompt and '<source id="2"' in prompt
