"""OpenAIChat through the real openai client against the local OpenAI-compatible server."""

import time

import openai
import pytest
from openai_server import CutStream, Empty, Error, Garbage, Hang, OpenAIServer, Reply

from assistant.errors import ProviderError
from assistant.llm import Completion, Message, OpenAIChat

MESSAGES: list[Message] = [
    {"role": "system", "content": "Be brief."},
    {"role": "user", "content": "Where is Kyiv?"},
]


def chat(server: OpenAIServer, timeout: float = 5.0, retries: int = 0) -> OpenAIChat:
    client = openai.OpenAI(
        base_url=server.base_url, api_key="sk-test-secret", timeout=timeout, max_retries=retries
    )
    return OpenAIChat(client, "test-model")


def test_complete(openai_server: OpenAIServer) -> None:
    openai_server.script(Reply("Kyiv is in Ukraine [1]."))
    completion = chat(openai_server).complete(MESSAGES)
    assert completion.text == "Kyiv is in Ukraine [1]."
    assert completion.finish_reason == "stop"
    assert completion.usage is not None and completion.usage.completion_tokens > 0
    body = openai_server.requests[-1].body
    assert body["model"] == "test-model" and body["messages"][1]["content"] == "Where is Kyiv?"


def test_stream_yields_deltas_then_completion(openai_server: OpenAIServer) -> None:
    openai_server.script(Reply("Kyiv is the capital of Ukraine [1]."))
    parts = list(chat(openai_server).stream(MESSAGES))
    deltas = [p for p in parts if isinstance(p, str)]
    assert len(deltas) > 2
    final = parts[-1]
    assert isinstance(final, Completion)
    assert "".join(deltas) == final.text == "Kyiv is the capital of Ukraine [1]."
    assert final.usage is not None
    assert openai_server.requests[-1].body["stream"] is True


@pytest.mark.parametrize(
    ("behaviour", "match"),
    [
        pytest.param(Error(500), "HTTP 500", id="server-error"),
        pytest.param(Error(401), "API key", id="unauthorized"),
        pytest.param(Error(429, headers={"Retry-After": "0"}), "rate limiting", id="rate-limited"),
        pytest.param(Error(404), "does not exist", id="not-found"),
        pytest.param(Garbage(), "not a valid chat completion", id="garbage"),
    ],
)
def test_failures_become_provider_errors(
    openai_server: OpenAIServer, behaviour, match: str
) -> None:  # type: ignore[no-untyped-def]
    openai_server.script(behaviour)
    with pytest.raises(ProviderError, match=match):
        chat(openai_server).complete(MESSAGES)


def test_cut_stream_is_an_error(openai_server: OpenAIServer) -> None:
    openai_server.script(CutStream("Kyiv is the capital of Ukraine and more", after_chunks=2))
    with pytest.raises(ProviderError):
        list(chat(openai_server).stream(MESSAGES))


def test_stream_that_stops_without_finish_is_an_error(openai_server: OpenAIServer) -> None:
    openai_server.script(CutStream("Kyiv is big", after_chunks=1, abrupt=False))
    with pytest.raises(ProviderError, match="ended the stream"):
        list(chat(openai_server).stream(MESSAGES))


def test_hanging_endpoint_times_out_quickly(openai_server: OpenAIServer) -> None:
    openai_server.script(Hang(10.0))
    started = time.perf_counter()
    with pytest.raises(ProviderError, match="did not answer in time"):
        chat(openai_server, timeout=0.5).complete(MESSAGES)
    assert time.perf_counter() - started < 5.0


def test_retry_recovers_from_one_failure(openai_server: OpenAIServer) -> None:
    openai_server.script(Error(500), Reply("Kyiv is in Ukraine [1]."))
    assert chat(openai_server, retries=1).complete(MESSAGES).text == "Kyiv is in Ukraine [1]."


def test_endpoint_down(openai_server: OpenAIServer) -> None:
    url = openai_server.base_url
    openai_server.stop()
    client = openai.OpenAI(base_url=url, api_key="k", timeout=2, max_retries=0)
    with pytest.raises(ProviderError, match="cannot reach"):
        OpenAIChat(client, "m").complete(MESSAGES)


def test_empty_reply(openai_server: OpenAIServer) -> None:
    openai_server.script(Empty())
    assert chat(openai_server).complete(MESSAGES).text == ""


def test_key_never_appears_in_errors(openai_server: OpenAIServer) -> None:
    openai_server.script(Error(500))
    with pytest.raises(ProviderError) as info:
        chat(openai_server).complete(MESSAGES)
    assert "sk-test-secret" not in str(info.value)
