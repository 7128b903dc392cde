"""The LLM support judge, through the real openai client against the local test server."""

from __future__ import annotations

from collections.abc import Iterator

import openai
import pytest
from fakes import HashEmbedder
from openai_server import Error, OpenAIServer, Reply

from assistant.api import Assistant
from assistant.config import Settings
from assistant.evaluation.datasets import Dataset, QACase
from assistant.evaluation.judges import LLMJudge, parse_judge_reply
from assistant.evaluation.runner import build_judges, prepare_library, run_dataset
from assistant.llm import OpenAIChat
from assistant.query import Query

PASSAGE = "Russia attacked with 71 missiles, as well as 450 drones, the Ukrainian air force said."


@pytest.fixture
def chat(openai_server: OpenAIServer) -> Iterator[OpenAIChat]:
    client = openai.OpenAI(base_url=openai_server.base_url, api_key="k", timeout=2.0, max_retries=0)
    yield OpenAIChat(client, "judge-model")


def test_judge_reads_a_json_verdict(chat: OpenAIChat, openai_server: OpenAIServer) -> None:
    openai_server.script(Reply('{"supported": true, "reason": "passage 1 gives both numbers"}'))
    judge = LLMJudge(chat)
    verdict = judge("Russia fired 71 missiles and 450 drones [1].", [PASSAGE])
    assert verdict.supported and not verdict.error
    assert verdict.reason == "passage 1 gives both numbers"
    prompt = openai_server.requests[-1].body["messages"][0]["content"]
    assert '<passage id="1">' in prompt and PASSAGE in prompt
    assert "Claim: Russia fired 71 missiles and 450 drones." in prompt  # marker stripped
    assert judge.calls == 1


def test_judge_accepts_a_fenced_reply_and_caches(
    chat: OpenAIChat, openai_server: OpenAIServer
) -> None:
    openai_server.script(Reply('```json\n{"supported": false, "reason": "no 90 in it"}\n```'))
    judge = LLMJudge(chat)
    first = judge("Russia fired 90 missiles.", [PASSAGE])
    again = judge("Russia fired 90 missiles.", [PASSAGE])
    assert not first.supported and first.reason == "no 90 in it" and again == first
    assert judge.calls == 1 and len(openai_server.requests) == 1


@pytest.mark.parametrize(
    "behaviour",
    [
        pytest.param(Reply("Yes, it is supported."), id="prose"),
        pytest.param(Reply('{"supported": "maybe"}'), id="wrong-type"),
        pytest.param(Error(500), id="server-error"),
    ],
)
def test_a_bad_judge_reply_is_an_error_verdict(
    chat: OpenAIChat, openai_server: OpenAIServer, behaviour: Reply | Error
) -> None:
    openai_server.script(behaviour)
    verdict = LLMJudge(chat)("Russia fired 71 missiles.", [PASSAGE])
    assert not verdict.supported and verdict.error
    assert "judge" in verdict.reason


def test_parse_judge_reply_needs_an_object() -> None:
    assert parse_judge_reply('x {"supported": false} y').supported is False
    with pytest.raises(ValueError, match="no JSON object"):
        parse_judge_reply("supported")


def test_eval_with_an_llm_reports_llm_citation_scores(
    settings: Settings, openai_server: OpenAIServer, chat: OpenAIChat
) -> None:
    assistant = Assistant(settings, embedder=HashEmbedder(), llm=chat)
    assert assistant.ingest_text(PASSAGE, title="Strikes", source="strikes", library="tiny").ok
    dataset = Dataset(
        name="tiny",
        cases=[
            QACase(id="missiles", question="How many missiles did Russia launch?", facts=[["71"]])
        ],
    )
    library, _ = prepare_library(assistant, dataset, library="tiny", ingest=[])
    assert library == "tiny"
    openai_server.script(
        Reply("Russia launched 71 missiles [1]."),  # the answer
        Reply('{"supported": false, "reason": "the passage says attacked"}'),  # the judge
    )
    report = run_dataset(
        assistant,
        dataset,
        library=library,
        query=Query(engine="openai"),
        judges=build_judges(assistant),
    )
    assert report.judges == ["lexical", "llm"] and report.engine == "openai"
    assert report.model == "judge-model"
    assert report.metrics["citation_recall"] == 1.0  # the lexical judge agrees
    assert report.metrics["citation_recall_llm"] == 0.0  # the LLM judge does not
    assert report.counts["judge_calls"] == 1 and report.counts["judge_tokens"] > 0
    case = report.cases[0]
    assert case.correct and case.prompt_tokens > 0
    assert any("llm: sentence 1" in r and "attacked" in r for r in case.reasons)
