"""``nnscratch playground``: watch and steer a network learning, in the browser (a local web app).

The training runs in Python with the library's own engine; the page shows the decision boundary, the
loss curves, the network with its weights, the gradient norms and the course's trace of a sample.
Needs the ``playground`` extra (``pip install 'nnscratch[playground]'``).
"""

from __future__ import annotations

import argparse
import sys

from nnscratch.cli import _parser as P


def _port(text: str) -> int:
    try:
        port = int(text)
    except ValueError:
        port = -1
    if not 0 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"expected a port number 0–65535 (0: a free one), got {text!r}")
    return port


def register(subparsers: argparse._SubParsersAction) -> argparse.ArgumentParser:
    """Add ``playground`` to the CLI's sub-commands."""
    p = subparsers.add_parser(
        "playground",
        help="watch and steer a network learning, in the browser",
        description="A local web app (プレイグラウンド): train a small network on 2-D data or your own CSV "
        "and "
        "watch the boundary, the losses, the weights and the course's trace while you change the settings. "
        "Prints its address (with its token) as one line once it is ready; Ctrl-C stops it.",
    )
    p.add_argument("--port", type=_port, default=0, help="port to listen on (default 0: a free port)")
    p.add_argument("--host", default="127.0.0.1",
                   help="address to listen on (default 127.0.0.1, this machine only; another address lets "
                   "other machines reach it — the token still guards it)")
    p.add_argument("--no-browser", action="store_true", help="do not open the page in the browser")
    p.add_argument("--lang", choices=("ja", "en"), default="ja", help="language of the page (default ja)")
    p.set_defaults(func=run)
    return p


def run(args: argparse.Namespace) -> int:
    """Serve until Ctrl-C; exit status 0."""
    from nnscratch.playground.server import LOOPBACK, serve

    if args.host not in LOOPBACK:
        print(f"nnscratch: warning: --host {args.host}: the playground is reachable from other machines on "
              f"this network (anyone with the address and its token can use it)", file=sys.stderr)
    serve(args.host, args.port, lang=args.lang, open_browser=not args.no_browser)
    return P.EXIT_OK
