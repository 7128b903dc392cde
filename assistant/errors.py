"""Named errors. The CLI and UI show their messages to the user; anything else is a bug."""


class AssistantError(Exception):
    """Base class: a user-facing problem whose message says how to fix it."""


class ConfigError(AssistantError):
    """A setting is missing, invalid or inconsistent with an existing library."""


class IngestError(AssistantError):
    """A source could not be read or holds no article text."""


class ProviderError(AssistantError):
    """An outside service (LLM or embedding endpoint) failed or misbehaved."""


class PromptError(AssistantError):
    """A prompt file is missing or a template variable has no value."""


class NotFoundError(AssistantError):
    """A library or article that was asked for does not exist."""


class InputError(AssistantError):
    """A question or argument the user gave cannot be used as it is."""
