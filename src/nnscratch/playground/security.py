"""The playground server's door (a local server is still a server): token, Host, Origin, sizes, rates.

:class:`Guard` is plain ASGI middleware in front of every request and WebSocket:

- the **token** (``secrets.token_urlsafe``, as Jupyter's) in the query (``?token=``) or the header
  ``X-Playground-Token``, compared in constant time (``hmac.compare_digest``);
- the **Host** header must name this machine's loopback (``localhost``, ``127.x.x.x``, ``[::1]``) — a
  page of another site whose name was re-pointed at 127.0.0.1 (DNS rebinding) sends its own name —
  or, when the server was opened up with ``--host``, that host or an IP address;
- a POST or a WebSocket whose **Origin** is another site is refused (a browser always sends Origin
  there, and a page of another site cannot forge it);
- a body larger than :data:`MAX_BODY` is refused from its ``Content-Length`` (and the endpoints read at
  most that much of a body without one).

Each refusal is one line of plain text with its HTTP status, and the server keeps running.
:class:`RateLimit` is a token bucket for messages and requests.
"""

from __future__ import annotations

import hmac
import ipaddress
import time
from urllib.parse import parse_qs, urlsplit

__all__ = ["Guard", "RateLimit", "MAX_BODY", "host_allowed"]

MAX_BODY = 5 * 1024 * 1024
TOKEN_HEADER = b"x-playground-token"


def _split_host(host: str) -> str:
    """``"127.0.0.1:8000"`` → ``"127.0.0.1"``, ``"[::1]:80"`` → ``"::1"``, lower case."""
    host = host.strip().lower()
    if host.startswith("["):
        return host[1:host.find("]")] if "]" in host else host
    return host.rsplit(":", 1)[0] if host.count(":") == 1 else host


def _is_ip(name: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(name)
    except ValueError:
        return None


def host_allowed(host: str, extra: str | None = None) -> bool:
    """Whether a Host header names this server: a loopback name or address; with ``extra`` (the
    ``--host`` the server was opened on) also that name and any IP address (an address cannot be
    re-pointed by DNS)."""
    name = _split_host(host)
    ip = _is_ip(name)
    if name == "localhost" or (ip is not None and ip.is_loopback):
        return True
    return extra is not None and (name == extra.lower() or ip is not None)


class RateLimit:
    """A token bucket: ``rate`` events per second on average, ``burst`` at once; ``allow()`` spends one."""

    def __init__(self, rate: float, burst: float) -> None:
        self.rate, self.burst = float(rate), float(burst)
        self._tokens, self._t = float(burst), time.monotonic()

    def allow(self) -> bool:
        now = time.monotonic()
        self._tokens = min(self.burst, self._tokens + (now - self._t) * self.rate)
        self._t = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


class Guard:
    """ASGI middleware: refuse what is not this machine's page talking to this server (see module)."""

    def __init__(self, app, token: str, extra_host: str | None = None, max_body: int = MAX_BODY) -> None:
        self.app, self.token, self.extra_host, self.max_body = app, token, extra_host, max_body
        self.requests = RateLimit(200, 400)  # HTTP requests per second, all clients together

    async def __call__(self, scope, receive, send) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        problem = self.check(scope)
        if problem is not None:
            status, text = problem
            await _refuse(scope, send, status, text)
            return
        await self.app(scope, receive, send)

    def check(self, scope) -> tuple[int, str] | None:
        """``(status, one-line message)`` when the request must be refused, else None."""
        headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope.get("headers", [])}
        host = headers.get("host", "")
        if not host_allowed(host, self.extra_host):
            return 403, (f"refused: the Host header {host[:80]!r} is not this machine's address "
                         f"(open the address nnscratch playground printed)")
        websocket = scope["type"] == "websocket"
        if websocket or scope.get("method", "GET") not in ("GET", "HEAD"):
            origin = headers.get("origin")
            if origin is not None and (urlsplit(origin).netloc.lower() != host.lower()
                                       or urlsplit(origin).scheme not in ("http", "https")):
                return 403, (f"refused: a request from another site ({origin[:80]!r}) may not use the "
                             f"playground")
        if not websocket and not self.requests.allow():
            return 429, "refused: too many requests; slow down"
        given = parse_qs(scope.get("query_string", b"").decode("latin-1")).get("token", [""])[-1]
        given = headers.get(TOKEN_HEADER.decode(), given)
        if not hmac.compare_digest(given.encode("utf-8", "replace"), self.token.encode()):
            return 403, ("refused: this address needs its token; open the address nnscratch playground "
                         "printed (…/?token=…)")
        length = headers.get("content-length")
        if length is not None and (not length.isdigit() or int(length) > self.max_body):
            return 413, f"refused: the request body is larger than {self.max_body:,} bytes"
        return None


async def _refuse(scope, send, status: int, text: str) -> None:
    body = text.encode("utf-8")
    headers = [(b"content-type", b"text/plain; charset=utf-8"), (b"content-length", str(len(body)).encode())]
    if scope["type"] == "http":
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": body})
    elif "websocket.http.response" in scope.get("extensions", {}):
        await send({"type": "websocket.http.response.start", "status": status, "headers": headers})
        await send({"type": "websocket.http.response.body", "body": body})
    else:
        await send({"type": "websocket.close", "code": 1008, "reason": text[:120]})
