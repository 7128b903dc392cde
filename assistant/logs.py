"""Logging for people: `--verbose` or ASSISTANT_LOG_LEVEL=DEBUG shows what was retrieved, the
prompt sent and the timings on stderr, with the API key masked."""

from __future__ import annotations

import logging
import sys

LOGGER = "assistant"
KEY_MASK = "[API key hidden]"


class _MaskSecret(logging.Filter):
    """Replaces the secret wherever it appears in a record's message."""

    def __init__(self) -> None:
        super().__init__()
        self.secret: str | None = None

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secret and self.secret in (message := record.getMessage()):
            record.msg, record.args = message.replace(self.secret, KEY_MASK), None
        return True


class _Stderr(logging.Handler):
    """Writes to whatever sys.stderr is when the record comes (tests swap it)."""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            sys.stderr.write(self.format(record) + "\n")
        except Exception:  # a log line must never break a command
            self.handleError(record)


_handler: logging.Handler | None = None
_mask = _MaskSecret()


def configure_logging(level: str | int = "WARNING", secret: str | None = None) -> None:
    """Send the assistant's log records at `level` and above to stderr, `secret` masked."""
    global _handler
    logger = logging.getLogger(LOGGER)
    if isinstance(level, str):
        name = level.strip().upper()
        if name not in logging.getLevelNamesMapping():
            from assistant.errors import ConfigError

            raise ConfigError(
                f"log level {level!r} is not known: use DEBUG, INFO, WARNING or ERROR"
            )
        level = logging.getLevelNamesMapping()[name]
    logger.setLevel(level)
    if secret:
        _mask.secret = secret
    if _handler is None:
        _handler = _Stderr()
        _handler.setFormatter(logging.Formatter("%(levelname)s %(name)s: %(message)s"))
        _handler.addFilter(_mask)
        logger.addHandler(_handler)
        logger.propagate = False
