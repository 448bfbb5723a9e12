"""Ctrl-C between steps, never inside one.

An update of a network changes its layers one after another. A ``KeyboardInterrupt`` raised in the
middle (Python raises it at the next bytecode after SIGINT arrives) leaves some layers updated by a row
and others not; a model saved after that matches no sequence of rows. :class:`Interrupts` installs a
SIGINT handler that raises at once outside a critical section and, inside one, only records the signal
and raises when the section ends — so the network and its row count always agree.

A flag checked in Python is used rather than blocking the signal (``pthread_sigmask``): a blocked
signal is delivered to another thread (OpenBLAS's workers), whose C handler would still make Python
raise in the main thread in the middle of the step.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator

_received = 0  # SIGINTs taken by any Interrupts handler in this process


class Interrupts:
    """``with Interrupts() as guard:`` … ``with guard.critical():`` one step …

    Sections nest, and so do guards (a command's inside the entry point's). ``received`` tells whether
    a SIGINT came since this guard was entered, by whichever guard took it. Outside the main thread
    (where Python cannot install signal handlers) it does nothing and the default behaviour stays.
    """

    def __init__(self) -> None:
        self._start = _received
        self._depth = 0
        self._pending = False
        self._old: object = None
        self._installed = False

    def __enter__(self) -> Interrupts:
        self._start = _received
        if threading.current_thread() is threading.main_thread():
            self._old = signal.signal(signal.SIGINT, self._handle)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, self._old)
            self._installed = False

    @property
    def received(self) -> bool:
        """Whether a SIGINT has arrived since this guard was entered."""
        return _received != self._start

    def _handle(self, signum: int, frame: object) -> None:
        global _received
        _received += 1
        if self._depth:
            self._pending = True
            return
        raise KeyboardInterrupt

    @contextlib.contextmanager
    def critical(self, drop: bool = False) -> Iterator[None]:
        """A section Ctrl-C does not cut: a SIGINT inside it raises ``KeyboardInterrupt`` when it ends
        (or is ignored with ``drop``, for the last save on the way out after an interruption)."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if self._depth == 0 and self._pending:
            self._pending = False
            if not drop:
                raise KeyboardInterrupt
