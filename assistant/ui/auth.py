"""Sign-in for `assistant ui --auth USER:PASS`: HTTP Basic authentication on every request.

`BasicAuth` is a plain ASGI middleware in front of the whole app, so it does not depend on
which routes gradio itself protects or on how gradio keeps sessions: a request without the user
and password (page, API, files, uploads, queue, websockets alike) is answered 401 with a
`WWW-Authenticate: Basic` challenge, and the browser asks for them. There is no login page
and no session cookie; the browser sends the credentials with each request.

Basic authentication sends the password (base64-encoded, not encrypted) with every request:
off the loopback interface, serve the UI behind HTTPS.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac

from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Receive, Scope, Send

REALM = "Article assistant"

# gradio's launch() checks that its server is up by GETting this route itself, without
# credentials, and gives up when it fails. It runs the app's start-up events once and answers
# true or false: it holds nothing to read.
LAUNCH_CHECK = "/gradio_api/startup-events"


def credentials_match(authorization: bytes | None, user: str, password: str) -> bool:
    """Whether an `Authorization` header value carries this user and password (Basic scheme).

    The comparison takes the same time whatever the guess: both sides are hashed first, so
    neither their content nor their length shows in the timing.
    """
    scheme, _, encoded = (authorization or b"").strip().partition(b" ")
    if scheme.lower() != b"basic":
        return False
    try:
        given = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return False
    expected = f"{user}:{password}".encode()
    return hmac.compare_digest(hashlib.sha256(given).digest(), hashlib.sha256(expected).digest())


def challenge(realm: str = REALM) -> str:
    """The `WWW-Authenticate` header of a refusal: Basic, with UTF-8 user names and passwords."""
    return f'Basic realm="{realm}", charset="UTF-8"'


class BasicAuth:
    """ASGI middleware: answer 401 to every HTTP or websocket request that does not carry
    `user` and `password`, but gradio's own launch check (`LAUNCH_CHECK`)."""

    def __init__(self, app: ASGIApp, *, user: str, password: str, realm: str = REALM) -> None:
        if not user or not password:
            raise ValueError("BasicAuth needs a user and a password")
        self.app = app
        self.user = user
        self.password = password
        self.realm = realm

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] in ("http", "websocket") and not self.allowed(scope):
            await self.refuse(scope, receive, send)
            return
        await self.app(scope, receive, send)

    def allowed(self, scope: Scope) -> bool:
        """Whether the request carries the credentials (or is gradio's launch check)."""
        if scope["type"] == "http" and scope["method"] == "GET" and scope["path"] == LAUNCH_CHECK:
            return True
        headers: list[tuple[bytes, bytes]] = scope["headers"]
        given = [value for name, value in headers if name.lower() == b"authorization"]
        return len(given) == 1 and credentials_match(given[0], self.user, self.password)

    async def refuse(self, scope: Scope, receive: Receive, send: Send) -> None:
        """401 with the Basic challenge; a websocket is closed before it is accepted (403)."""
        if scope["type"] == "websocket":
            await send({"type": "websocket.close", "code": 1008})
            return
        refusal = PlainTextResponse(
            "Sign in required: this article assistant asks for a user and password.\n",
            status_code=401,
            headers={"WWW-Authenticate": challenge(self.realm)},
        )
        await refusal(scope, receive, send)
