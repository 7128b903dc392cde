"""The web UI: chat with the articles, manage the library, see the settings. The assistant's
only gradio import is in this package.

- `render`: answers, summaries, sources, reports and errors as Markdown or HTML (pure).
- `callbacks`: `WebUI(assistant)`, the event handlers as plain methods over the `Assistant` API.
- `layout`: `build(ui)`, the gradio Blocks of tabs and components wired to those handlers.
- `auth`: `BasicAuth`, HTTP Basic authentication on every request for `--auth`.
- `server`: `serve()`, which launches it all offline.
"""

from __future__ import annotations

import os

# Before gradio is imported: no telemetry, no update checks, no hub look-ups.
OFFLINE_ENV = {
    "GRADIO_ANALYTICS_ENABLED": "False",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "HF_HUB_OFFLINE": "1",
    "DO_NOT_TRACK": "1",
    "GRADIO_SSR_MODE": "False",
    "GRADIO_MCP_SERVER": "False",
}
os.environ.update(OFFLINE_ENV)

from assistant.ui.auth import BasicAuth, credentials_match  # noqa: E402
from assistant.ui.callbacks import ChatUpdate, Message, WebUI, parse_urls  # noqa: E402
from assistant.ui.layout import CSS, build, theme  # noqa: E402
from assistant.ui.render import (  # noqa: E402
    CURSOR,
    SUMMARIZING,
    THINKING,
    TOPIC_HINT,
    Reply,
    answer_markdown,
    error_markdown,
    escape_html,
    escape_md,
    flagged_text,
    ingest_line,
    quote_spans,
    sources_html,
    summary_markdown,
)
from assistant.ui.server import serve, warm_up  # noqa: E402

__all__ = [
    "CSS",
    "CURSOR",
    "OFFLINE_ENV",
    "SUMMARIZING",
    "THINKING",
    "TOPIC_HINT",
    "BasicAuth",
    "ChatUpdate",
    "Message",
    "Reply",
    "WebUI",
    "answer_markdown",
    "build",
    "credentials_match",
    "error_markdown",
    "escape_html",
    "escape_md",
    "flagged_text",
    "ingest_line",
    "parse_urls",
    "quote_spans",
    "serve",
    "sources_html",
    "summary_markdown",
    "theme",
    "warm_up",
]
