"""Chat LLMs: the LLM protocol and OpenAIChat for any OpenAI-compatible endpoint."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict

from assistant.errors import ConfigError, ProviderError
from assistant.models import Usage
from assistant.registry import Registry

if TYPE_CHECKING:
    from assistant.config import Settings

log = logging.getLogger("assistant.llm")
DEFAULT_CHAT_MODEL = "gpt-4o-mini"


class Message(TypedDict):
    """One chat message."""

    role: Literal["system", "user", "assistant"]
    content: str


@dataclass(frozen=True)
class Completion:
    """A finished reply."""

    text: str
    usage: Usage | None = None
    finish_reason: str | None = None


class LLM(Protocol):
    """A chat model. `stream` yields text deltas, then one final Completion."""

    model: str

    def complete(self, messages: Sequence[Message]) -> Completion: ...

    def stream(self, messages: Sequence[Message]) -> Iterator[str | Completion]: ...


class OpenAIChat:
    """Chat completions through the `openai` client: OpenAI, Azure, Ollama, vLLM, llama.cpp.

    The client carries the base URL, key, timeout and retry policy (bounded retries with
    backoff that honour Retry-After). Every failure becomes a ProviderError with a hint.
    """

    def __init__(
        self,
        client: Any,
        model: str,
        *,
        temperature: float = 0.0,
        max_tokens: int = 700,
        endpoint: str = "",
    ) -> None:
        self._client = client
        self.model = model
        self.temperature = temperature
        self.max_tokens = max_tokens
        self.endpoint = endpoint or str(getattr(client, "base_url", "")).rstrip("/")

    def _to_request(self, messages: Sequence[Message], stream: bool) -> dict[str, Any]:
        request: dict[str, Any] = {
            "model": self.model,
            "messages": [dict(m) for m in messages],
            "temperature": self.temperature,
            "max_tokens": self.max_tokens,
        }
        if log.isEnabledFor(logging.DEBUG):
            log.debug("chat request to %s: %s", self._where(), json.dumps(request["messages"]))
        if stream:
            request["stream"] = True
            request["stream_options"] = {"include_usage": True}
        return request

    def _from_response(self, response: Any) -> Completion:
        choices = getattr(response, "choices", None)
        if not choices:
            raise ProviderError(
                f"{self._where()} returned a reply with no choices: {_short(response)}"
            )
        choice = choices[0]
        text = getattr(choice.message, "content", None) or ""
        return Completion(
            text=text,
            usage=_usage(getattr(response, "usage", None)),
            finish_reason=choice.finish_reason,
        )

    def complete(self, messages: Sequence[Message]) -> Completion:
        """One reply, whole."""
        with self._errors():
            response = self._client.chat.completions.create(**self._to_request(messages, False))
        return self._from_response(response)

    def stream(self, messages: Sequence[Message]) -> Iterator[str | Completion]:
        """Text deltas as they arrive, then the Completion. A cut-off stream is an error."""
        parts: list[str] = []
        usage: Usage | None = None
        finish: str | None = None
        with self._errors():
            events = self._client.chat.completions.create(**self._to_request(messages, True))
            if isinstance(events, str | bytes):
                raise ProviderError(f"{self._where()} did not stream: {_short(events)}")
            for event in events:
                if getattr(event, "usage", None):
                    usage = _usage(event.usage)
                for choice in getattr(event, "choices", None) or []:
                    delta = getattr(choice.delta, "content", None) if choice.delta else None
                    if delta:
                        parts.append(delta)
                        yield delta
                    if choice.finish_reason:
                        finish = choice.finish_reason
        if finish is None:
            raise ProviderError(
                f"{self._where()} ended the stream before the reply was finished "
                f"({len(''.join(parts))} characters received)"
            )
        yield Completion(text="".join(parts), usage=usage, finish_reason=finish)

    def _where(self) -> str:
        return f"the LLM endpoint {self.endpoint or '(default)'} (model {self.model})"

    def _errors(self) -> _ErrorTranslator:
        secret = getattr(self._client, "api_key", None)
        return _ErrorTranslator(self._where(), secret if isinstance(secret, str) else None)


class _ErrorTranslator:
    """Turns openai and decoding errors into ProviderError with a hint on what to check.

    The API key never reaches the message, even when the endpoint repeats it in its error.
    """

    def __init__(self, where: str, secret: str | None = None) -> None:
        self.where = where
        self.secret = secret if secret and len(secret) >= 8 else None

    def __enter__(self) -> None:
        return None

    def __exit__(self, kind: Any, error: BaseException | None, tb: Any) -> Literal[False]:
        if error is None or isinstance(error, ProviderError | GeneratorExit):
            return False
        import openai

        where = self.where
        message: str | None = None
        if isinstance(error, openai.APITimeoutError):
            message = (
                f"{where} did not answer in time; raise ASSISTANT_LLM_TIMEOUT or check the server"
            )
        elif isinstance(error, openai.APIConnectionError):
            message = (
                f"cannot reach {where}: {error.__cause__ or error}; "
                "is the server running and OPENAI_BASE_URL right?"
            )
        elif isinstance(error, openai.AuthenticationError):
            message = f"{where} rejected the API key (401); check OPENAI_API_KEY"
        elif isinstance(error, openai.RateLimitError):
            message = f"{where} is rate limiting (429) and retries ran out; try again later"
        elif isinstance(error, openai.NotFoundError):
            message = (
                f"{where} says the model or URL does not exist (404); "
                "check ASSISTANT_CHAT_MODEL and OPENAI_BASE_URL"
            )
        elif isinstance(error, openai.APIStatusError):
            message = f"{where} failed with HTTP {error.status_code}: {_short(error.message)}"
        elif isinstance(error, openai.OpenAIError):
            message = f"{where} failed: {_short(str(error))}"
        elif isinstance(error, json.JSONDecodeError | ValueError | AttributeError | TypeError):
            message = (
                f"{where} sent a reply that is not a valid chat completion: {_short(str(error))}"
            )
        if message is None:
            return False
        if self.secret:
            message = message.replace(self.secret, "[API key hidden]")
        raise ProviderError(message) from error


def _usage(raw: Any) -> Usage | None:
    if raw is None:
        return None
    return Usage(
        prompt_tokens=int(getattr(raw, "prompt_tokens", 0) or 0),
        completion_tokens=int(getattr(raw, "completion_tokens", 0) or 0),
    )


def _short(value: object, limit: int = 200) -> str:
    text = str(value)
    return text if len(text) <= limit else text[:limit] + "…"


ChatProviderFactory = Callable[["Settings", str], LLM]
"""provider(settings, model) -> a chat model."""

CHAT_PROVIDERS: Registry[ChatProviderFactory] = Registry(
    "chat provider", {"openai": "assistant.llm:openai_chat"}
)


def openai_client(settings: Settings) -> Any:
    """An `openai.OpenAI` client for the configured endpoint."""
    if not settings.openai_api_key and not settings.openai_base_url:
        raise ConfigError(
            "an OpenAI-compatible endpoint is needed: set OPENAI_API_KEY, or OPENAI_BASE_URL "
            "for a local server (Ollama, vLLM, llama.cpp)"
        )
    import openai

    return openai.OpenAI(
        api_key=settings.openai_api_key or "not-needed",
        base_url=settings.openai_base_url,
        timeout=settings.llm_timeout,
        max_retries=settings.llm_retries,
    )


def openai_chat(settings: Settings, model: str) -> LLM:
    """The chat model `model` on the configured OpenAI-compatible endpoint."""
    return OpenAIChat(openai_client(settings), model, max_tokens=settings.answer_tokens)
