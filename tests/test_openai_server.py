"""The test server works with the real `openai` client, over 127.0.0.1 only."""

from __future__ import annotations

import json
import math
import threading
import time
from collections.abc import Sequence

import openai
import pytest
from openai.types.chat import ChatCompletionChunk, ChatCompletionMessageParam
from openai_server import (
    REDACTED,
    CutStream,
    Empty,
    Error,
    Garbage,
    Hang,
    OpenAIServer,
    Reply,
    hash_embedding,
    split_deltas,
)

MODEL = "test-model"
QUESTION: list[ChatCompletionMessageParam] = [
    {"role": "user", "content": "What is the capital of France?"}
]


def make_client(server: OpenAIServer, timeout: float = 5.0) -> openai.OpenAI:
    return openai.OpenAI(
        base_url=server.base_url, api_key="test-key", max_retries=0, timeout=timeout
    )


@pytest.fixture
def client(openai_server: OpenAIServer) -> openai.OpenAI:
    return make_client(openai_server)


def ask(client: openai.OpenAI) -> str | None:
    completion = client.chat.completions.create(model=MODEL, messages=QUESTION)
    return completion.choices[0].message.content


def ask_streamed(client: openai.OpenAI, include_usage: bool = False) -> list[ChatCompletionChunk]:
    stream = client.chat.completions.create(
        model=MODEL,
        messages=QUESTION,
        stream=True,
        stream_options={"include_usage": True} if include_usage else openai.omit,
    )
    return list(stream)


def text_of(chunks: Sequence[ChatCompletionChunk]) -> str:
    return "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)


def cosine(a: Sequence[float], b: Sequence[float]) -> float:
    return sum(x * y for x, y in zip(a, b, strict=True))


# --- models and embeddings --------------------------------------------------------------


def test_models_list() -> None:
    with OpenAIServer(models=["alpha", "beta"]) as server:
        client = make_client(server)
        assert [m.id for m in client.models.list()] == ["alpha", "beta"]
        assert client.models.retrieve("beta").id == "beta"
        with pytest.raises(openai.NotFoundError):
            client.models.retrieve("gamma")


def test_base_url_is_loopback(openai_server: OpenAIServer) -> None:
    assert openai_server.base_url.startswith("http://127.0.0.1:")
    assert openai_server.base_url.endswith("/v1")


def test_embeddings_default_request_is_base64_and_decodes(
    openai_server: OpenAIServer, client: openai.OpenAI
) -> None:
    response = client.embeddings.create(model="test-embedding", input="Paris is in France")
    assert openai_server.requests[-1].body["encoding_format"] == "base64"
    vector = response.data[0].embedding
    assert len(vector) == 64
    assert vector == pytest.approx(hash_embedding("Paris is in France"), abs=1e-6)
    assert response.usage.prompt_tokens == 4


def test_embeddings_float_and_base64_agree(client: openai.OpenAI) -> None:
    text = "The Eiffel Tower is in Paris"
    as_float = client.embeddings.create(model="e", input=text, encoding_format="float")
    as_base64 = client.embeddings.create(model="e", input=text, encoding_format="base64")
    assert as_float.data[0].embedding == hash_embedding(text)
    assert isinstance(as_base64.data[0].embedding, str)  # asked for base64: left undecoded
    default = client.embeddings.create(model="e", input=text)
    assert default.data[0].embedding == pytest.approx(as_float.data[0].embedding, abs=1e-6)


def test_embeddings_list_input_is_deterministic_and_unit_length(client: openai.OpenAI) -> None:
    texts = ["one text", "another text", "one text"]
    first = client.embeddings.create(model="e", input=texts, encoding_format="float")
    second = client.embeddings.create(model="e", input=texts, encoding_format="float")
    vectors = [d.embedding for d in first.data]
    assert [d.index for d in first.data] == [0, 1, 2]
    assert vectors == [d.embedding for d in second.data]
    assert vectors[0] == vectors[2]
    assert all(math.isclose(cosine(v, v), 1.0) for v in vectors)


def test_embeddings_similar_texts_are_closer(client: openai.OpenAI) -> None:
    texts = [
        "The capital of France is Paris",
        "Paris is the capital city of France",
        "Penguins eat fish in Antarctica",
    ]
    a, b, c = (
        d.embedding
        for d in client.embeddings.create(model="e", input=texts, encoding_format="float").data
    )
    assert cosine(a, b) > 0.5
    assert cosine(a, b) > cosine(a, c) + 0.3


def test_embeddings_dimensions_override(client: openai.OpenAI) -> None:
    response = client.embeddings.create(model="e", input="x y", dimensions=16)
    assert len(response.data[0].embedding) == 16


def test_embeddings_reject_empty_input_like_openai(client: openai.OpenAI) -> None:
    with pytest.raises(openai.BadRequestError):
        client.embeddings.create(model="e", input="")


# --- chat completions -------------------------------------------------------------------


def test_chat_scripted_reply(openai_server: OpenAIServer, client: openai.OpenAI) -> None:
    openai_server.script(Reply("Paris is the capital [1]."))
    completion = client.chat.completions.create(model=MODEL, messages=QUESTION)
    assert completion.choices[0].message.content == "Paris is the capital [1]."
    assert completion.choices[0].finish_reason == "stop"
    assert completion.model == MODEL
    assert completion.usage is not None
    assert completion.usage.completion_tokens == 5
    assert completion.usage.prompt_tokens == 6
    assert openai_server.pending == 0


def test_chat_echoes_last_user_message_when_script_is_empty(client: openai.OpenAI) -> None:
    assert ask(client) == "You asked: What is the capital of France?"


def test_chat_script_is_used_in_order(openai_server: OpenAIServer, client: openai.OpenAI) -> None:
    openai_server.script(Reply("first"), Reply("second"))
    assert [ask(client), ask(client), ask(client)] == [
        "first",
        "second",
        "You asked: What is the capital of France?",
    ]


def test_chat_streamed_deltas_add_up_to_the_reply(
    openai_server: OpenAIServer, client: openai.OpenAI
) -> None:
    text = "Paris is the capital of France [1]. It lies on the Seine [2]."
    openai_server.script(Reply(text))
    chunks = ask_streamed(client)
    assert text_of(chunks) == text
    assert len(chunks) >= len(split_deltas(text)) > 5
    assert chunks[0].choices[0].delta.role == "assistant"
    assert chunks[-1].choices[0].finish_reason == "stop"
    assert all(c.usage is None for c in chunks)


def test_chat_streamed_usage_chunk_when_requested(
    openai_server: OpenAIServer, client: openai.OpenAI
) -> None:
    openai_server.script(Reply("Paris, of course."))
    chunks = ask_streamed(client, include_usage=True)
    assert text_of(chunks) == "Paris, of course."
    last = chunks[-1]
    assert last.choices == []
    assert last.usage is not None
    assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (6, 3)
    assert last.usage.total_tokens == 9


def test_chat_empty_reply(openai_server: OpenAIServer, client: openai.OpenAI) -> None:
    openai_server.script(Empty(), Empty())
    assert ask(client) == ""
    assert ask_streamed(client) == []


# --- errors -----------------------------------------------------------------------------


def test_500_is_internal_server_error(openai_server: OpenAIServer, client: openai.OpenAI) -> None:
    openai_server.script(Error(500))
    with pytest.raises(openai.InternalServerError) as caught:
        ask(client)
    assert caught.value.status_code == 500


def test_429_is_rate_limit_error_with_retry_after(
    openai_server: OpenAIServer, client: openai.OpenAI
) -> None:
    openai_server.script(Error(429, headers={"Retry-After": "7"}))
    with pytest.raises(openai.RateLimitError) as caught:
        ask(client)
    assert caught.value.response.headers["retry-after"] == "7"
    assert len(openai_server.requests) == 1  # max_retries=0: no retry


def test_401_carries_the_error_message(openai_server: OpenAIServer, client: openai.OpenAI) -> None:
    body = {"error": {"message": "Incorrect API key provided.", "type": "invalid_request_error"}}
    openai_server.script(Error(401, body=body))
    with pytest.raises(openai.AuthenticationError, match="Incorrect API key"):
        ask(client)


def test_client_retries_scripted_errors(openai_server: OpenAIServer) -> None:
    openai_server.script(Error(500, headers={"Retry-After-Ms": "10"}), Reply("ok"))
    client = openai.OpenAI(base_url=openai_server.base_url, api_key="k", max_retries=1)
    assert ask(client) == "ok"
    assert [r.headers["x-stainless-retry-count"] for r in openai_server.requests] == ["0", "1"]


def test_hang_times_out_the_client(openai_server: OpenAIServer) -> None:
    openai_server.script(Hang(5.0))
    client = make_client(openai_server, timeout=0.3)
    started = time.monotonic()
    with pytest.raises(openai.APITimeoutError):
        ask(client)
    assert 0.25 < time.monotonic() - started < 4.0  # the timeout, not the end of the hang


def test_hang_blocks_only_its_own_request(openai_server: OpenAIServer) -> None:
    openai_server.script(Hang(3.0, then=Reply("slow")))
    client = make_client(openai_server)
    answers: list[str | None] = []
    slow = threading.Thread(target=lambda: answers.append(ask(client)))
    slow.start()
    deadline = time.monotonic() + 2
    while openai_server.pending and time.monotonic() < deadline:
        time.sleep(0.01)  # wait until the slow request has taken the Hang
    assert ask(client) == "You asked: What is the capital of France?"
    assert answers == []  # answered while the slow request still hangs
    slow.join(timeout=5)
    assert answers == ["slow"]


def test_stop_cuts_a_hang_short() -> None:
    server = OpenAIServer().start()
    server.script(Hang(30.0))
    client = make_client(server, timeout=0.2)
    with pytest.raises(openai.APITimeoutError):
        ask(client)
    started = time.monotonic()
    server.stop()
    assert time.monotonic() - started < 10.0  # not the hang's 30 s


def test_cut_stream_raises_connection_error(
    openai_server: OpenAIServer, client: openai.OpenAI
) -> None:
    """A connection dropped mid-stream (an incomplete chunked body) makes openai 3.57.0 raise
    APIConnectionError while iterating, after the deltas that did arrive were yielded."""
    openai_server.script(CutStream("one two three four five", after_chunks=2))
    received: list[str] = []
    stream = client.chat.completions.create(model=MODEL, messages=QUESTION, stream=True)
    with pytest.raises(openai.APIConnectionError):
        for chunk in stream:
            received.append(chunk.choices[0].delta.content or "")
    assert "".join(received) == "one two "


def test_stream_ending_without_done_ends_silently(
    openai_server: OpenAIServer, client: openai.OpenAI
) -> None:
    """A body that ends cleanly with no [DONE] and no finish_reason raises nothing in
    openai 3.57.0: the stream just stops, so callers must check finish_reason themselves."""
    openai_server.script(CutStream("one two three four five", after_chunks=2, abrupt=False))
    chunks = ask_streamed(client)
    assert text_of(chunks) == "one two "
    assert all(c.choices[0].finish_reason is None for c in chunks)


def test_cut_non_streamed_body_raises_connection_error(
    openai_server: OpenAIServer, client: openai.OpenAI
) -> None:
    openai_server.script(CutStream("one two three"))
    with pytest.raises(openai.APIConnectionError):
        ask(client)


def test_garbage_json_raises_a_decode_error(
    openai_server: OpenAIServer, client: openai.OpenAI
) -> None:
    """A 200 labelled JSON but not JSON: openai 3.57.0 lets json.JSONDecodeError (a
    ValueError, not an openai.APIError) escape, both plain and streamed."""
    openai_server.script(Garbage(), Garbage())
    with pytest.raises(json.JSONDecodeError):
        ask(client)
    with pytest.raises(json.JSONDecodeError):
        ask_streamed(client)


def test_garbage_text_is_returned_as_a_string(
    openai_server: OpenAIServer, client: openai.OpenAI
) -> None:
    """With a non-JSON content type, openai 3.57.0 returns the body as a str instead of a
    ChatCompletion (no error) unless the client sets _strict_response_validation=True."""
    openai_server.script(Garbage("oops", content_type="text/plain"), Garbage("oops", "text/plain"))
    result: object = client.chat.completions.create(model=MODEL, messages=QUESTION)
    assert result == "oops"
    strict = openai.OpenAI(
        base_url=openai_server.base_url,
        api_key="k",
        max_retries=0,
        _strict_response_validation=True,
    )
    with pytest.raises(openai.APIResponseValidationError):
        ask(strict)


# --- what was sent ----------------------------------------------------------------------


def test_requests_are_recorded_with_authorization_redacted(
    openai_server: OpenAIServer, client: openai.OpenAI
) -> None:
    ask(client)
    client.embeddings.create(model="e", input=["a"])
    chat, embeddings = openai_server.requests
    assert (chat.method, chat.path) == ("POST", "/v1/chat/completions")
    assert chat.body["messages"] == QUESTION
    assert chat.body["model"] == MODEL
    assert chat.headers["authorization"] == REDACTED
    assert embeddings.path == "/v1/embeddings"
    assert "test-key" not in repr(openai_server.requests)


def test_api_key_is_checked_when_configured() -> None:
    with OpenAIServer(api_key="right") as server:
        right = openai.OpenAI(base_url=server.base_url, api_key="right", max_retries=0)
        wrong = openai.OpenAI(base_url=server.base_url, api_key="wrong", max_retries=0)
        assert ask(right) == "You asked: What is the capital of France?"
        with pytest.raises(openai.AuthenticationError):
            ask(wrong)
        assert {r.headers["authorization"] for r in server.requests} == {REDACTED}
