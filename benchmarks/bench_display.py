"""What notebook display costs: the end-of-run check every train() call makes (verbose off), one
redraw of the live training view, and the HTML of a Network and a History.

    python benchmarks/bench_display.py            # ~half a minute on an idle machine
    python benchmarks/bench_display.py --quick    # seconds: what tests/test_display.py runs

Needs the lab extra (matplotlib, matplotlib-fontja) and IPython; the live view's display handle is
replaced by one that drops the pictures, so it runs outside a notebook.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import statistics
import time

import numpy as np

import nnscratch
from nnscratch.training.guards import baseline_loss, trend_warnings


def _median_ms(fn, repeats: int) -> float:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(times)


def main(argv: list[str] | None = None) -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0]).parse_known_args(argv)[1]
    quick = "--quick" in args
    repeats = 3 if quick else 20

    # the only work train() adds with verbose off: the targets' baseline loss and the trend check
    labels = np.random.default_rng(0).integers(0, 10, 60_000)
    net = nnscratch.Network("784-100-10", output="softmax", seed=0)
    history = nnscratch.History(loss=list(np.linspace(2.3, 0.1, 50)), lr=[0.1] * 50)
    check = _median_ms(lambda: trend_warnings(history, baseline_loss(net, labels)), repeats)
    print(f"end-of-run check, 60,000 labels (every train() call): {check:.3f} ms")

    import IPython.display as ipd

    from nnscratch.lab.live import LiveProgress

    class _Handle:
        def update(self, obj: object) -> None:
            pass

    ipd.display = lambda *a, **k: _Handle()  # outside a notebook: pictures are made and dropped
    x, d = nnscratch.datasets.load("moons", n_samples=400 if quick else 2000)
    epochs = 5 if quick else 40

    def fit(view: LiveProgress | None) -> float:
        net = nnscratch.Network("2-32-32-2", hidden="relu", output="softmax", seed=0)
        t0 = time.perf_counter()
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            nnscratch.train(net, x, d, optimizer="adam", lr=0.01, epochs=epochs, seed=0,
                            validation_data=(x, d), callbacks=[view] if view else None)
        return time.perf_counter() - t0

    fit(LiveProgress(epochs, interval=0.0))  # the first picture imports matplotlib and loads the fonts
    every = LiveProgress(epochs, interval=0.0)
    fit(every)
    print(f"live view: one redraw {1e3 * every.draw_seconds / every.redraws:.1f} ms "
          f"({every.redraws} redraws, interval 0)")
    plain = min(fit(None) for _ in range(2))
    view = LiveProgress(epochs)
    with_view = fit(view)
    print(f"live view, default throttle: {with_view:.2f} s with it, {plain:.2f} s without "
          f"({view.redraws} redraws, {view.draw_seconds:.2f} s drawing)")

    small = nnscratch.Network("2-3-3-1", seed=0)
    print(f"Network 2-3-3-1 HTML with its diagram: {_median_ms(small._repr_html_, repeats):.0f} ms")
    h = nnscratch.train(small, x[:100], d[:100, None] % 2, epochs=30, seed=0)
    print(f"History (30 epochs) HTML with its curves: {_median_ms(h._repr_html_, repeats):.0f} ms")


if __name__ == "__main__":
    main()
