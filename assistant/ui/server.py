"""`serve()`: launch the web UI offline: no analytics or update checks, fonts served locally,
127.0.0.1 unless told, HTTP Basic authentication on every request with `auth`."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable

import gradio as gr
from starlette.middleware import Middleware

from assistant.api import Assistant
from assistant.errors import AssistantError, ConfigError
from assistant.ui.auth import BasicAuth
from assistant.ui.callbacks import WebUI
from assistant.ui.layout import CSS, build, theme

log = logging.getLogger(__name__)


def warm_up(assistant: Assistant, freeze: bool) -> None:
    """Open the library (chroma, BM25) and load the embedding model while the server starts,
    so that the first question is answered as fast as the next ones; with `freeze` (a server
    that is its process's whole life), then keep what is loaded out of the garbage
    collector's full passes (see `Assistant.warm_up`)."""
    try:
        assistant.warm_up(freeze=freeze)
    except AssistantError as error:  # the first question will say what is wrong
        log.info("warm-up skipped: %s", error)


def serve(
    assistant: Assistant,
    *,
    host: str = "127.0.0.1",
    port: int = 7860,
    auth: tuple[str, str] | None = None,
    block: bool = True,
    on_ready: Callable[[str], None] | None = None,
) -> gr.Blocks:
    """Launch the web UI; blocks until Ctrl-C unless `block` is False. With `auth` (user,
    password) every request must carry them (HTTP Basic authentication)."""
    os.environ["GRADIO_TEMP_DIR"] = str(assistant.settings.home / "uploads")
    demo = build(WebUI(assistant))
    demo.queue(default_concurrency_limit=2)
    signed_in_only = None
    if auth is not None:
        user, password = auth
        signed_in_only = {"middleware": [Middleware(BasicAuth, user=user, password=password)]}
    try:
        _, url, _ = demo.launch(
            server_name=host,
            server_port=port,
            max_file_size=assistant.settings.max_upload_mb * 1024 * 1024,
            footer_links=[],
            run_history=False,
            enable_monitoring=False,
            ssr_mode=False,
            pwa=False,
            mcp_server=False,
            share=False,
            show_error=False,
            quiet=True,
            prevent_thread_lock=True,
            theme=theme(),
            css=CSS,
            app_kwargs=signed_in_only,
        )
    except OSError as error:
        raise ConfigError(
            f"cannot listen on {host}:{port} ({error}); is another `assistant ui` running? "
            "Pass --port with a free port"
        ) from error
    threading.Thread(target=warm_up, args=(assistant, block), name="warm-up", daemon=True).start()
    if on_ready is not None:
        on_ready(url)
    if block:
        try:
            demo.block_thread()
        finally:
            demo.close()
    return demo
