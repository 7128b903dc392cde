"""HTTP Basic authentication for `assistant ui --auth` (assistant/ui/auth.py): the header check
and the ASGI middleware, driven directly with ASGI messages. test_ui_security.py checks the
same against the running app, route by route."""

from __future__ import annotations

import asyncio
import base64
from typing import Any

import pytest

from assistant.ui.auth import LAUNCH_CHECK, BasicAuth, challenge, credentials_match

USER, PASSWORD = "reader", "s3cret:with-colon"


def basic(text: str | bytes) -> bytes:
    raw = text.encode() if isinstance(text, str) else text
    return b"Basic " + base64.b64encode(raw)


@pytest.mark.parametrize(
    ("header", "ok"),
    [
        pytest.param(basic(f"{USER}:{PASSWORD}"), True, id="right"),
        pytest.param(b"basic " + basic(f"{USER}:{PASSWORD}")[6:], True, id="scheme-any-case"),
        pytest.param(b"  " + basic(f"{USER}:{PASSWORD}") + b" ", True, id="spaces-around"),
        pytest.param(None, False, id="no-header"),
        pytest.param(b"", False, id="empty"),
        pytest.param(b"Basic", False, id="scheme-only"),
        pytest.param(basic(f"{USER}:guess"), False, id="wrong-password"),
        pytest.param(basic(f"admin:{PASSWORD}"), False, id="wrong-user"),
        pytest.param(basic(f"{USER}:{PASSWORD[:-1]}"), False, id="password-prefix"),
        pytest.param(basic(f"{USER}:{PASSWORD}x"), False, id="password-longer"),
        pytest.param(basic(f"{USER}{PASSWORD}"), False, id="no-colon"),
        pytest.param(basic(USER), False, id="user-only"),
        pytest.param(b"Bearer " + basic(f"{USER}:{PASSWORD}")[6:], False, id="other-scheme"),
        pytest.param(basic(f"{USER}:{PASSWORD}") + b"!", False, id="not-base64"),
        pytest.param(basic(f"{USER}:{PASSWORD}")[:-2], False, id="bad-padding"),
        pytest.param(basic(b"\xff\xfe:\x00"), False, id="binary"),
    ],
)
def test_credentials_match(header: bytes | None, ok: bool) -> None:
    assert credentials_match(header, USER, PASSWORD) is ok


def test_a_non_ascii_password_is_compared_as_utf8() -> None:
    assert credentials_match(basic("lecteur:mot-de-passe-é"), "lecteur", "mot-de-passe-é")
    assert not credentials_match(
        b"Basic " + base64.b64encode("lecteur:mot-de-passe-é".encode("latin-1")),
        "lecteur",
        "mot-de-passe-é",
    )


def test_a_user_and_a_password_are_required() -> None:
    with pytest.raises(ValueError):
        BasicAuth(_app, user="", password="x")
    with pytest.raises(ValueError):
        BasicAuth(_app, user="x", password="")


# The middleware, over a stand-in app that says "inner" to whatever reaches it.


async def _app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] == "websocket":
        await send({"type": "websocket.accept"})
        return
    await send({"type": "http.response.start", "status": 200, "headers": []})
    await send({"type": "http.response.body", "body": b"inner"})


def run(
    scope_type: str, path: str = "/config", method: str = "GET", headers: list[Any] | None = None
) -> list[dict[str, Any]]:
    """The ASGI messages BasicAuth sends for one request."""
    scope: dict[str, Any] = {
        "type": scope_type,
        "path": path,
        "raw_path": path.encode(),
        "query_string": b"",
        "headers": headers or [],
        "root_path": "",
    }
    if scope_type == "http":
        scope["method"] = method
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b"", "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    asyncio.run(BasicAuth(_app, user=USER, password=PASSWORD)(scope, receive, send))
    return sent


def test_a_request_without_credentials_gets_401_and_the_challenge() -> None:
    start, body = run("http")
    assert start["status"] == 401
    assert (b"www-authenticate", challenge().encode()) in start["headers"]
    assert challenge() == 'Basic realm="Article assistant", charset="UTF-8"'
    assert b"Sign in required" in body["body"] and b"inner" not in body["body"]


def test_a_request_with_the_credentials_reaches_the_app() -> None:
    right = [(b"authorization", basic(f"{USER}:{PASSWORD}"))]
    start, body = run("http", headers=right)
    assert start["status"] == 200 and body["body"] == b"inner"
    # Sent twice (even right both times), the header is refused: one request, one header.
    start, _ = run("http", headers=right * 2)
    assert start["status"] == 401


def test_only_gradios_launch_check_is_open_and_only_to_get() -> None:
    assert run("http", path=LAUNCH_CHECK)[-1]["body"] == b"inner"
    assert run("http", path=LAUNCH_CHECK, method="POST")[0]["status"] == 401
    assert run("http", path=LAUNCH_CHECK + "/")[0]["status"] == 401
    assert run("http", path="/gradio_api/startup-events-x")[0]["status"] == 401


def test_a_websocket_without_credentials_is_closed_before_it_is_accepted() -> None:
    assert run("websocket") == [{"type": "websocket.close", "code": 1008}]
    right = [(b"authorization", basic(f"{USER}:{PASSWORD}"))]
    assert run("websocket", headers=right) == [{"type": "websocket.accept"}]
