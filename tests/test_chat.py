"""Follow-up questions: real chromadb on disk, the hash embedder or the real ONNX one, and the
real openai client against the OpenAI-compatible test server on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import openai
import pytest
from fakes import HashEmbedder
from openai_server import Error, OpenAIServer, Reply

from assistant.answer.chat import clean_condensed, format_history, needs_context, resolve_offline
from assistant.api import Assistant
from assistant.config import Settings
from assistant.embeddings import OnnxEmbedder
from assistant.errors import InputError, ProviderError
from assistant.llm import OpenAIChat
from assistant.models import Answer, Turn

TOWERS = {
    "eiffel": "The Eiffel Tower in Paris was completed in 1889 for the World's Fair. "
    "The wrought-iron Eiffel Tower is 330 metres tall.",
    "burj": "The Burj Khalifa in Dubai was completed in 2010 after six years of construction. "
    "The Burj Khalifa skyscraper is 828 metres tall.",
}


def final(parts: Iterator[str | Answer]) -> Answer:
    out = list(parts)
    assert isinstance(out[-1], Answer)
    assert all(isinstance(p, str) for p in out[:-1])
    return out[-1]


@pytest.fixture
def towers(fake_assistant: Assistant) -> Assistant:
    for name, text in TOWERS.items():
        assert fake_assistant.ingest_text(text, source=f"towers/{name}").ok
    return fake_assistant


def chat(assistant: Assistant, message: str, history: list[Turn], **kw: object) -> Answer:
    return final(assistant.ask_stream(message, k=1, history=history, **kw))  # type: ignore[arg-type]


# Which questions lean on the conversation


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param("And how many drones?", True, id="leading-and"),
        pytest.param("Who signed it?", True, id="pronoun"),
        pytest.param("What about Kharkiv?", True, id="what-about"),
        pytest.param("How many drones?", True, id="one-word-of-its-own"),
        pytest.param("Why?", True, id="bare-why"),
        pytest.param("Who signed the New START treaty?", False, id="full-question"),
        pytest.param("How many missiles did Russia launch?", False, id="seed-question"),
        pytest.param("What did Zelenskyy say?", False, id="a-name-is-a-subject"),
        pytest.param("Is there heating in Kyiv?", False, id="there-is-not-a-pronoun"),
    ],
)
def test_needs_context(question: str, expected: bool) -> None:
    assert needs_context(question) is expected


def test_what_about_puts_the_new_name_in_place_of_the_old() -> None:
    history = [Turn(question="How cold did it get in Kyiv?", answer="Minus 19C [1].")]
    assert resolve_offline("What about Kharkiv?", history) == (
        "How cold did it get in Kharkiv?",
        "How cold did it get in Kharkiv?",
    )
    assert resolve_offline("and what about Burj Khalifa?", history)[0] == (
        "How cold did it get in Burj Khalifa?"
    )


def test_what_about_a_thing_without_a_name_combines_the_questions() -> None:
    history = [Turn(question="How many missiles did Russia launch?", answer="71 [1].")]
    ask, retrieve = resolve_offline("What about drones?", history)
    assert ask == retrieve == "How many missiles did Russia launch? What about drones?"


def test_a_follow_up_is_retrieved_with_the_previous_standalone_question() -> None:
    history = [
        Turn(
            question="And the drones?",
            answer="450 [1].",
            standalone_question="How many missiles did Russia launch? And the drones?",
        )
    ]
    assert resolve_offline("Who said so?", history) == (
        "Who said so?",
        "How many missiles did Russia launch? And the drones? Who said so?",
    )


def test_a_question_that_stands_alone_is_left_alone() -> None:
    history = [Turn(question="How tall is the Eiffel Tower?", answer="330 metres [1].")]
    assert resolve_offline("When was the Burj Khalifa completed?", history) == (
        "When was the Burj Khalifa completed?",
        None,
    )
    assert resolve_offline("Who signed it?", []) == ("Who signed it?", None)


def test_format_history_keeps_the_last_turns_without_markers() -> None:
    turns = [Turn(question=f"q{i}?", answer=f"a{i} [1].") for i in range(6)]
    turns.append(Turn(question="long?", answer="word " * 400))
    text = format_history(turns)
    assert "q0?" not in text and "q2?" not in text and "User: q3?" in text
    assert "Assistant: a3." in text and "[1]" not in text
    assert text.endswith("…") and len(text.splitlines()[-1]) < 700


@pytest.mark.parametrize(
    ("reply", "expected"),
    [
        pytest.param("How tall is it?", "How tall is it?", id="plain"),
        pytest.param('Standalone question: "How tall?"\n', "How tall?", id="label-and-quotes"),
        pytest.param("\n\n  `Who?`  \nbecause...", "Who?", id="first-line"),
        pytest.param("   \n", "", id="empty"),
        pytest.param("x" * 3000, "", id="too-long"),
    ],
)
def test_clean_condensed(reply: str, expected: str) -> None:
    assert clean_condensed(reply) == expected


# Offline: the previous subject steers retrieval


def test_the_same_follow_up_answers_about_whatever_was_asked_before(towers: Assistant) -> None:
    for subject, height in (("Burj Khalifa", "828"), ("Eiffel Tower", "330")):
        first = chat(towers, f"When was the {subject} completed?", [])
        assert subject.split()[0] in first.text and not first.abstained
        follow = chat(towers, "How tall is it?", [Turn.of(first)])
        assert height in follow.text, (subject, follow.text)
        assert follow.question == "How tall is it?"
        assert follow.standalone_question == f"When was the {subject} completed? How tall is it?"
        assert follow.citations and all(height in c.quote for c in follow.citations)


def test_what_about_answers_the_substituted_question(towers: Assistant) -> None:
    first = chat(towers, "How tall is the Eiffel Tower?", [])
    assert "330" in first.text
    follow = chat(towers, "What about the Burj Khalifa?", [Turn.of(first)])
    assert follow.standalone_question == "How tall is the Burj Khalifa?"
    assert "828" in follow.text and "330" not in follow.text


def test_a_first_question_has_no_standalone_rewrite(towers: Assistant) -> None:
    answer = chat(towers, "How tall is the Eiffel Tower?", [])
    assert answer.standalone_question is None and answer.question == "How tall is the Eiffel Tower?"


def test_an_empty_message_is_an_input_error(towers: Assistant) -> None:
    with pytest.raises(InputError):
        list(towers.ask_stream("   "))


def test_drones_follow_up_on_the_seed_article(tmp_path: Path, onnx_embedder: OnnxEmbedder) -> None:
    settings = Settings(home=tmp_path / "home", _env_file=None)  # type: ignore[call-arg]
    assistant = Assistant(settings, embedder=onnx_embedder)
    assert assistant.ingest_samples().ok
    first = final(assistant.ask_stream("How many missiles did Russia launch?"))
    assert "71" in first.text
    follow = final(assistant.ask_stream("And how many drones?", history=[Turn.of(first)]))
    assert "450" in follow.text
    assert any("450 drones" in c.quote for c in follow.citations)


# With an LLM: the follow-up is condensed by the model, and that question is answered


@pytest.fixture
def with_llm(
    tmp_path: Path, hash_embedder: HashEmbedder, openai_server: OpenAIServer
) -> Iterator[Assistant]:
    settings = Settings(home=tmp_path / "home", _env_file=None)  # type: ignore[call-arg]
    client = openai.OpenAI(base_url=openai_server.base_url, api_key="k", timeout=2, max_retries=0)
    assistant = Assistant(settings, embedder=hash_embedder, llm=OpenAIChat(client, "test-model"))
    for name, text in TOWERS.items():
        assert assistant.ingest_text(text, source=f"towers/{name}").ok
    yield assistant


def _user_text(body: dict[str, object]) -> str:
    messages = body["messages"]
    assert isinstance(messages, list)
    return "\n".join(str(m["content"]) for m in messages if m["role"] == "user")


def test_llm_condenses_the_follow_up_and_answers_that(
    with_llm: Assistant, openai_server: OpenAIServer
) -> None:
    history = [
        Turn(
            question="When was the Burj Khalifa completed?",
            answer="The Burj Khalifa in Dubai was completed in 2010 [1].",
        )
    ]
    openai_server.script(
        Reply("Standalone question: How tall is the Burj Khalifa?"),
        Reply("The Burj Khalifa skyscraper is 828 metres tall [1]."),
    )
    parts = list(with_llm.ask_stream("How tall is it?", history=history, k=1))
    answer = parts[-1]
    assert isinstance(answer, Answer)
    assert "".join(p for p in parts[:-1] if isinstance(p, str)) == answer.text
    assert answer.question == "How tall is it?"
    assert answer.standalone_question == "How tall is the Burj Khalifa?"
    assert answer.engine == "openai" and not answer.flags
    assert answer.citations[0].quote == "The Burj Khalifa skyscraper is 828 metres tall."
    condense_request, answer_request = (r.body for r in openai_server.requests if r.body)
    prompt = _user_text(condense_request)
    assert "User: When was the Burj Khalifa completed?" in prompt
    assert "Assistant: The Burj Khalifa in Dubai was completed in 2010." in prompt
    assert "Last message: How tall is it?" in prompt
    assert condense_request.get("stream") is not True
    assert "Question: How tall is the Burj Khalifa?" in _user_text(answer_request)
    assert answer_request["stream"] is True


def test_llm_without_history_is_not_asked_to_condense(
    with_llm: Assistant, openai_server: OpenAIServer
) -> None:
    openai_server.script(Reply("The wrought-iron Eiffel Tower is 330 metres tall [1]."))
    answer = final(with_llm.ask_stream("How tall is the Eiffel Tower?", k=1))
    assert answer.standalone_question is None and "330" in answer.text
    assert len([r for r in openai_server.requests if r.body]) == 1


def test_an_unusable_condense_reply_falls_back_to_the_message(
    with_llm: Assistant, openai_server: OpenAIServer
) -> None:
    history = [Turn(question="How tall is the Eiffel Tower?", answer="330 metres [1].")]
    openai_server.script(
        Reply("   "), Reply("The wrought-iron Eiffel Tower is 330 metres tall [1].")
    )
    answer = final(with_llm.ask_stream("How tall is it?", history=history, k=1))
    assert answer.standalone_question is None and answer.question == "How tall is it?"


def test_a_failing_condense_call_falls_back_to_the_offline_rewrite(
    with_llm: Assistant, openai_server: OpenAIServer
) -> None:
    history = [Turn(question="When was the Burj Khalifa completed?", answer="In 2010 [1].")]
    openai_server.script(Error(500), Error(500))
    answer = final(with_llm.ask_stream("How tall is it?", history=history, k=1))
    assert answer.engine == "extractive" and answer.fallback
    assert "828" in answer.text
    assert answer.standalone_question == "When was the Burj Khalifa completed? How tall is it?"


def test_without_fallback_a_failing_condense_call_is_a_provider_error(
    tmp_path: Path, hash_embedder: HashEmbedder, openai_server: OpenAIServer
) -> None:
    settings = Settings(home=tmp_path / "home", llm_fallback=False, _env_file=None)  # type: ignore[call-arg]
    client = openai.OpenAI(base_url=openai_server.base_url, api_key="k", max_retries=0)
    assistant = Assistant(settings, embedder=hash_embedder, llm=OpenAIChat(client, "test-model"))
    assert assistant.ingest_text(TOWERS["eiffel"], source="towers/eiffel").ok
    openai_server.script(Error(500))
    history = [Turn(question="How tall is the Eiffel Tower?", answer="330 metres [1].")]
    with pytest.raises(ProviderError, match="HTTP 500"):
        list(assistant.ask_stream("When was it completed?", history=history))


def test_a_model_chosen_per_call_reaches_the_endpoint(
    tmp_path: Path, hash_embedder: HashEmbedder, openai_server: OpenAIServer
) -> None:
    settings = Settings(  # type: ignore[call-arg]
        home=tmp_path / "home", openai_base_url=openai_server.base_url, _env_file=None
    )
    assistant = Assistant(settings, embedder=hash_embedder)
    assert assistant.ingest_text(TOWERS["eiffel"], source="towers/eiffel").ok
    openai_server.script(Reply("It is 330 metres tall [1]."))
    answer = final(assistant.ask_stream("How tall is the Eiffel Tower?", model="other-model"))
    assert answer.model == "other-model"
    assert [r.body["model"] for r in openai_server.requests if r.body] == ["other-model"]


def test_what_about_more_than_a_name_combines_the_questions() -> None:
    history = [Turn(question="How cold did it get in Kyiv?", answer="Minus 19C [1].")]
    ask, _ = resolve_offline("What about drones in Kharkiv?", history)
    assert ask == "How cold did it get in Kyiv? What about drones in Kharkiv?"
