"""The playground's web app (Starlette): the page, its assets, the JSON API and the WebSocket.

Routes (every one behind :class:`~nnscratch.playground.security.Guard`: token, Host, Origin, sizes):

- ``GET /`` the page; ``GET /static/NAME`` its script and style (a fixed table, no file path from the
  client); ``GET /fonts.css`` and ``GET /font/ipaexg.ttf`` the Japanese web font (IPAexGothic, found
  inside the installed ``matplotlib-fontja`` at run time) and ``GET /font/LICENSE.txt`` its licence;
- ``WS /ws`` one session per connection: the page sends ``hello`` with its settings, then controls
  (``set``, ``play``, ``pause``, ``step``, ``epoch``, ``reset``, ``unit``, ``trace``, ``gradcheck``) and
  an ``ack`` per drawn frame (with the number of frames it received); the server sends ``hello``,
  ``data`` (the points), ``frame`` (at most :data:`FPS` a second, at most :data:`IN_FLIGHT` not yet
  drawn), ``settings`` (the reply to ``set``, with what the change did:
  :meth:`~nnscratch.playground.settings.Settings.change`), ``trace``, ``gradcheck`` and ``error`` (one
  line); a page beyond :data:`MAX_SESSIONS` is accepted and closed at once with code 1013 and the
  one-line reason, which the page shows;
- ``POST /api/upload?session=ID`` a CSV body; ``POST /api/trace``, ``POST /api/gradcheck`` (JSON);
  ``GET /api/model.npz?session=ID`` and ``GET /api/reproduce.py?session=ID`` the downloads.
"""

from __future__ import annotations

import asyncio
import contextlib
import importlib.resources
import importlib.util
import json
import os
import secrets
import time

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, PlainTextResponse, Response
from starlette.routing import Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

from nnscratch.playground import export, views
from nnscratch.playground.data import read_upload
from nnscratch.playground.security import MAX_BODY, Guard, RateLimit
from nnscratch.playground.session import Session
from nnscratch.playground.settings import Settings

__all__ = ["create_app", "font_path", "FPS", "MAX_SESSIONS"]

FPS = 40
IN_FLIGHT = 2  # frames sent and not yet drawn: the next is made while the page paints the last
MAX_SESSIONS = 8
MAX_MESSAGE = 16_384  # characters of one WebSocket message from the page
STATIC = {"app.js": "text/javascript", "app.css": "text/css", "i18n.js": "text/javascript"}
_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; font-src 'self'; "
        "img-src 'self' data: blob:; "
        "connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'")
_SECURE = {"X-Content-Type-Options": "nosniff", "Referrer-Policy": "no-referrer", "Cache-Control": "no-store"}


def font_path() -> str | None:
    """IPAexGothic inside the installed ``matplotlib-fontja`` (not imported: that would load matplotlib)."""
    spec = importlib.util.find_spec("matplotlib_fontja")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = os.path.join(list(spec.submodule_search_locations)[0], "fonts", "ipaexg.ttf")
    return path if os.path.isfile(path) else None


def _asset(name: str) -> str:
    return (importlib.resources.files("nnscratch.playground") / "static" / name).read_text(encoding="utf-8")


def _error(message: str, status: int = 400) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status, headers=_SECURE)


def create_app(token: str | None = None, lang: str = "ja", extra_host: str | None = None):
    """The ASGI app (the Starlette app inside its :class:`Guard`); ``app.token`` is its token."""
    token = token or secrets.token_urlsafe(32)
    if lang not in ("ja", "en"):
        raise ValueError(f"lang: expected 'ja' or 'en', got {lang!r}")
    sessions: dict[str, Session] = {}
    handlers = _Handlers(token, lang, sessions, font_path())
    routes = [
        Route("/", handlers.page), Route("/static/{name}", handlers.static),
        Route("/fonts.css", handlers.fonts_css), Route("/font/{name}", handlers.font_file),
        Route("/api/upload", handlers.upload, methods=["POST"]),
        Route("/api/model.npz", handlers.download), Route("/api/reproduce.py", handlers.download),
        Route("/api/{what}", handlers.api, methods=["POST"]),
        WebSocketRoute("/ws", handlers.websocket),
    ]
    app = Guard(Starlette(routes=routes), token, extra_host)
    app.sessions = sessions
    return app


class _Handlers:
    """The route handlers of one app and what they share: its token, the page's language, the open
    sessions by id (one per WebSocket) and the Japanese font's file (None without matplotlib-fontja)."""

    def __init__(self, token: str, lang: str, sessions: dict[str, Session], font: str | None) -> None:
        self.token, self.lang, self.sessions, self.font = token, lang, sessions, font

    def session_of(self, sid: object) -> Session:
        if not isinstance(sid, str) or sid not in self.sessions:
            raise ValueError("session: unknown or closed; reload the page to start a new one")
        return self.sessions[sid]

    async def page(self, request: Request) -> Response:
        html = _asset("index.html").replace("{{token}}", self.token).replace("{{lang}}", self.lang)
        return Response(html, media_type="text/html; charset=utf-8",
                        headers={**_SECURE, "Content-Security-Policy": _CSP})

    async def static(self, request: Request) -> Response:
        name = request.path_params["name"]
        if name not in STATIC:
            return PlainTextResponse(f"not found: {name[:60]}", status_code=404)
        return Response(_asset(name), media_type=STATIC[name], headers=_SECURE)

    async def fonts_css(self, request: Request) -> Response:
        css = "" if self.font is None else (
            "@font-face { font-family: 'IPAexGothic-nnscratch'; font-display: block; "
            f"src: url('/font/ipaexg.ttf?token={self.token}') format('truetype'); }}\n")
        return Response(css, media_type="text/css", headers=_SECURE)

    async def font_file(self, request: Request) -> Response:
        which = request.path_params["name"]
        if self.font is None or which not in ("ipaexg.ttf", "LICENSE.txt"):
            return PlainTextResponse("not found: the Japanese font needs 'pip install matplotlib-fontja'",
                                     status_code=404)
        path = self.font if which == "ipaexg.ttf" else os.path.join(os.path.dirname(self.font),
                                                                    "IPA_Font_License_Agreement_v1.0.txt")
        return FileResponse(path, headers={"Cache-Control": "private, max-age=86400"})

    async def upload(self, request: Request) -> Response:
        try:
            session = self.session_of(request.query_params.get("session"))
            body = await _body(request)
            data = await asyncio.to_thread(read_upload, body, request.headers.get("x-filename", "upload.csv"))
            old, running = session.settings, session.running
            settings = await asyncio.to_thread(session.use_upload, data)
        except (ValueError, TypeError) as exc:
            return _error(str(exc))
        change = {**settings.change(old, running, session.steps), "rebuilt": "data", "stopped": running}
        return JSONResponse({"ok": True, "rows": len(data.x), "task": data.task,
                             "settings": settings.to_json(), "change": change}, headers=_SECURE)

    async def api(self, request: Request) -> Response:
        what = request.path_params["what"]
        try:
            given = json.loads(await _body(request) or b"{}")
            if not isinstance(given, dict):
                raise ValueError("body: expected a JSON object")
            session = self.session_of(given.get("session"))
            if what == "trace":
                out = await asyncio.to_thread(views.trace, session, given.get("part", "train"),
                                              given.get("index"), _lang(given.get("lang", self.lang)))
            elif what == "gradcheck":
                out = await asyncio.to_thread(views.gradcheck, session)
            else:
                return _error(f"not found: /api/{what[:40]}", 404)
        except (json.JSONDecodeError, RecursionError):
            return _error("body: not valid JSON (or nested too deeply)")
        except (ValueError, TypeError) as exc:
            return _error(str(exc))
        return JSONResponse(out, headers=_SECURE)

    async def download(self, request: Request) -> Response:
        try:
            session = self.session_of(request.query_params.get("session"))
        except ValueError as exc:
            return _error(str(exc))
        if request.url.path.endswith(".npz"):
            body = await asyncio.to_thread(export.model_file, session)
            kind, name = "application/octet-stream", export.MODEL_NAME
        else:
            body = (await asyncio.to_thread(export.script, session)).encode("utf-8")
            kind, name = "text/x-python; charset=utf-8", export.SCRIPT_NAME
        return Response(body, media_type=kind,
                        headers={**_SECURE, "Content-Disposition": f'attachment; filename="{name}"'})

    async def websocket(self, ws: WebSocket) -> None:
        await ws.accept()
        if len(self.sessions) >= MAX_SESSIONS:
            # accepted first, then closed with the reason: a handshake refused before accept reaches
            # the page's script only as a failed connection (the browser shows "HTTP 403"), never the reason
            await ws.close(code=1013, reason=f"at most {MAX_SESSIONS} pages at once; close one, then reload")
            return
        sid = secrets.token_urlsafe(12)
        try:
            await _serve(ws, sid, self.sessions, self.lang)
        except WebSocketDisconnect:
            pass
        finally:
            session = self.sessions.pop(sid, None)
            if session is not None:
                await asyncio.to_thread(session.close)


def _lang(v: object) -> str:
    if v not in ("ja", "en"):
        raise ValueError(f"lang: expected 'ja' or 'en', got {v!r:.20}")
    return v  # type: ignore[return-value]


async def _body(request: Request) -> bytes:
    """The request body, at most :data:`MAX_BODY` bytes (also without a Content-Length)."""
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > MAX_BODY:
            raise ValueError(f"body: larger than {MAX_BODY:,} bytes; the playground takes files up to 5 MB")
        chunks.append(chunk)
    return b"".join(chunks)


async def _serve(ws: WebSocket, sid: str, sessions: dict[str, Session], lang: str) -> None:
    """One page's session: read controls, push frames (see the module docstring)."""
    inbox: asyncio.Queue = asyncio.Queue()

    async def read() -> None:
        try:
            while True:
                await inbox.put(await ws.receive_text())
        except (WebSocketDisconnect, RuntimeError):
            await inbox.put(None)

    reader = asyncio.create_task(read())
    limit = RateLimit(60, 120)
    session: Session | None = None
    state = {"unit": None, "inflight": 0, "dirty": True, "sent": 0.0, "version": 0, "seen": None}
    try:
        while True:
            wait = 1.0 / FPS if session is not None and (session.running or state["dirty"]) else 0.25
            try:
                left = max(0.001, wait - (time.monotonic() - state["sent"]))
                text = await asyncio.wait_for(inbox.get(), left)
            except asyncio.TimeoutError:
                text = ""
            if text is None:
                return
            if text:
                reply, session = await _message(text, limit, session, sid, sessions, state)
                if reply is not None:
                    await ws.send_text(json.dumps(reply))
            if session is None:
                continue
            now = time.monotonic()
            ready = state["inflight"] < IN_FLIGHT and now - state["sent"] >= 1 / FPS
            seen = (session.steps, session.running)  # a run that stopped by itself (diverged) is shown too
            due = state["dirty"] or session.version != state["version"] or (ready and (
                session.running or seen != state["seen"]))
            if due or (session.running and now - state["sent"] > 1.0):
                if session.version != state["version"]:
                    state["version"] = session.version
                    await ws.send_text(json.dumps(views.points(session)))
                await ws.send_text(await asyncio.to_thread(_frame_text, session, state["unit"]))
                state.update(inflight=state["inflight"] + 1, dirty=False, sent=time.monotonic(), seen=seen)
    finally:
        reader.cancel()
        with contextlib.suppress(BaseException):
            await reader


def _frame_text(session: Session, unit: tuple[int, int] | None) -> str:
    start = time.perf_counter()
    with session.hold():
        frame = views.frame(session, unit)
        frame["ms"] = round((time.perf_counter() - start) * 1000, 2)  # what making it cost the server
        return json.dumps(frame, allow_nan=False)


async def _message(text: str, limit: RateLimit, session: Session | None, sid: str,
                   sessions: dict[str, Session], state: dict) -> tuple[dict | None, Session | None]:
    """Handle one message from the page: (the reply or None, the session)."""
    if not limit.allow():
        return {"type": "error", "message": "too many messages; slow down (at most 60 a second)"}, session
    try:
        if len(text) > MAX_MESSAGE:
            raise ValueError(f"message: {len(text):,} characters; at most {MAX_MESSAGE:,}")
        msg = json.loads(text)
        kind = msg.get("type") if isinstance(msg, dict) else None
        if kind == "ack":  # the page drew a frame; n: how many frames it received since its last ack
            n = msg.get("n", 1)
            state["inflight"] = max(0, state["inflight"] - (n if isinstance(n, int) and n > 0 else 1))
            return None, session
        if kind == "hello" and session is None:
            settings = Settings.checked(msg.get("settings") or {})
            if settings.data == "csv":  # a shared URL of an uploaded file: the file is not here
                settings = Settings.checked({"data": "moons"}, settings)
            session = await asyncio.to_thread(Session, settings)
            sessions[sid] = session
            return {"type": "hello", "session": sid, "settings": session.settings.to_json()}, session
        if session is None:
            raise ValueError("message: send 'hello' with the settings first")
        state["dirty"] = True
        if kind == "set":  # the reply says what the change did: rebuilt the run (step 0) or applied live
            old, running = session.settings, session.running
            settings = await asyncio.to_thread(session.apply, msg.get("settings") or {})
            return {"type": "settings", "settings": settings.to_json(),
                    "change": settings.change(old, running, session.steps)}, session
        if kind in ("play", "pause", "reset", "step", "epoch"):
            await asyncio.to_thread(getattr(session, kind))
            return None, session
        if kind == "unit":
            layer, unit = msg.get("layer"), msg.get("unit")
            ok = all(isinstance(v, int) and not isinstance(v, bool) for v in (layer, unit))
            state["unit"] = (layer, unit) if ok else None
            return None, session
        if kind == "trace":
            return await asyncio.to_thread(views.trace, session, msg.get("part", "train"), msg.get("index"),
                                           _lang(msg.get("lang", "ja"))), session
        if kind == "gradcheck":
            return await asyncio.to_thread(views.gradcheck, session), session
        raise ValueError(f"message: unknown type {kind!r:.40}")
    except (json.JSONDecodeError, RecursionError):
        return {"type": "error", "message": "message: not valid JSON"}, session
    except (ValueError, TypeError) as exc:
        return {"type": "error", "message": str(exc)}, session
