"""The playground (プレイグラウンド): watch and steer a network learning, in the browser.

``nnscratch playground`` serves a local page (Starlette + uvicorn, the ``playground`` extra) on which a
learner trains a small network on 2-D data or their own CSV and changes it while it learns. The training
runs in Python with the library's own engine — a :class:`~nnscratch.RunSpec`, a :class:`~nnscratch.Model`
prepared on the data, a :class:`~nnscratch.Trainer` stepping the batches :func:`nnscratch.train` walks —
never a JavaScript copy of it; the page only draws what the server sends.

Parts: :mod:`.settings` (the controls), :mod:`.data` (data and CSV uploads), :mod:`.session` (the engine
and its thread), :mod:`.views` (what is drawn, the trace, the gradient check), :mod:`.export` (downloads),
:mod:`.security` (token, Host, Origin, limits), :mod:`.app` (routes, WebSocket), :mod:`.server` (uvicorn).
Only :mod:`.app` and :mod:`.server` need the extra; the engine is plain nnscratch.
"""

from __future__ import annotations

from nnscratch.playground.session import Session
from nnscratch.playground.settings import Settings

__all__ = ["Session", "Settings"]
