"""Serving the playground with uvicorn: bind, print the address once listening, stop on Ctrl-C.

:func:`serve` binds the socket itself (port 0 → a free port the system picks), so the address it
prints — one line ``http://127.0.0.1:PORT/?token=…`` on standard output — is the one really listening.
Ctrl-C (SIGINT) or SIGTERM makes uvicorn close the connections and the sessions' threads; ``serve``
then returns normally.
"""

from __future__ import annotations

import asyncio
import signal
import socket
import sys
import threading
import webbrowser

from nnscratch.playground.app import create_app

__all__ = ["serve", "LOOPBACK"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
    except OSError as exc:
        sock.close()
        raise ValueError(f"--port: cannot listen on {host}:{port} ({exc.strerror or exc}); "
                         f"choose another port, or 0 for a free one") from None
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


def _address(host: str, port: int, token: str) -> str:
    shown = "127.0.0.1" if host in ("127.0.0.1", "localhost", "0.0.0.0", "::") else host
    shown = f"[{shown}]" if ":" in shown else shown
    return f"http://{shown}:{port}/?token={token}"


def serve(host: str = "127.0.0.1", port: int = 0, lang: str = "ja", open_browser: bool = True) -> str:
    """Run the playground until Ctrl-C; returns the address it served. Needs the ``playground`` extra."""
    try:
        import uvicorn
    except ModuleNotFoundError:
        raise ImportError("nnscratch playground needs its extra: pip install 'nnscratch[playground]'"
                          ) from None
    extra = None if host in LOOPBACK else host
    app = create_app(lang=lang, extra_host=extra)
    sock = _bind(host, port)
    url = _address(host, sock.getsockname()[1], app.token)
    config = uvicorn.Config(app, log_level="warning", access_log=False, ws_max_size=1 << 20,
                            ws_per_message_deflate=False, lifespan="off", timeout_graceful_shutdown=2)
    server = uvicorn.Server(config)

    async def main() -> None:
        task = asyncio.create_task(server.serve(sockets=[sock]))
        while not server.started and not task.done():
            await asyncio.sleep(0.02)
        if server.started:
            print(url, flush=True)
            if open_browser:
                threading.Thread(target=webbrowser.open, args=(url,), daemon=True).start()
        await task

    # uvicorn takes SIGINT/SIGTERM while it runs and raises them again after its shutdown; the handler
    # in force then is this quiet one, so Ctrl-C ends the command normally (exit status 0)
    # the training thread runs Python between NumPy calls: hand the interpreter's lock over every 1 ms
    # (not 5) so the server's own thread answers the page promptly
    sys.setswitchinterval(0.001)
    previous = {sig: signal.signal(sig, lambda *_: None) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        asyncio.run(main())
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        sock.close()
        for session in list(app.sessions.values()):
            session.close()
    if not server.started:
        print("nnscratch: playground: the server did not start", file=sys.stderr)
    return url
