"""The playground's speed as a learner sees it: training steps per second while a real browser redraws.

    python benchmarks/bench_playground.py             # 10 s of training, the issue's bars checked
    python benchmarks/bench_playground.py --seconds 3 # shorter
    python benchmarks/bench_playground.py --screenshots docs/images   # and the docs' pictures

What it measures: ``nnscratch playground --no-browser --port 0`` runs in a child process (the real
server: uvicorn, the WebSocket, the session's training thread); headless Chromium (Debian's
``chromium``, driven by Playwright) opens the printed address with a 2-8-8-2 tanh/softmax network on
500 ``moons`` points, mini-batches of 10, plain SGD, speed "max"; the page's Play button is pressed, and
after a second of warm-up the benchmark reads, over ``--seconds``, the step counter of the frames the
page drew (steps/s of the Python engine) and the number of frames the page drew (frames/s seen by the
browser: each is a 64×64 boundary grid, the points, the loss curves, the network diagram and the
gradient bars, painted in a requestAnimationFrame). The bars of the issue: ≥ 2,000 steps/s and
≥ 20 frames/s on this 2-core machine. Prints one JSON line; exit status 1 when a bar is missed.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import time

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
SETTINGS = "data=moons&samples=500&noise=0.1&layers=8-8&activations=tanh-tanh&output=softmax&optimizer=sgd" \
           "&lr=0.03&batch=10&speed=max&lang=en"


def _wait(page, expression: str) -> None:
    deadline = time.monotonic() + 30
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise SystemExit(f"bench_playground: timed out waiting for {expression}")
        time.sleep(0.05)


def _screenshots(page, folder: str) -> None:
    """The page in English and Japanese (for the README and the tutorials): paused, a hidden unit chosen,
    a sample traced."""
    page.get_by_role("button", name="Pause").click()
    _wait(page, "!window.playground.frame.running")
    page.get_by_role("button", name="layer 1 unit 2").click()
    page.locator("#trace-index").fill("7")
    page.get_by_role("button", name="Trace").click()
    _wait(page, "window.playground.trace && window.playground.frame.unit")
    # down to the end of the network panel (its near-zero weights and the L1/L2 line under the diagram)
    bottom = page.evaluate("document.querySelector('[aria-labelledby=h-net]').getBoundingClientRect().bottom")
    clip = {"x": 0, "y": 0, "width": 1240, "height": max(1150, int(bottom) + 12)}
    page.screenshot(path=os.path.join(folder, "playground.en.png"), full_page=True, clip=clip)
    page.get_by_label("Language").select_option("ja")
    _wait(page, "window.playground.trace.lang === 'ja' "
                "&& document.fonts.check('16px IPAexGothic-nnscratch', '再生')")
    page.screenshot(path=os.path.join(folder, "playground.ja.png"), full_page=True, clip=clip)
    for lang in ("en", "ja"):
        _shrink(os.path.join(folder, f"playground.{lang}.png"))


def _shrink(path: str) -> None:
    """A palette PNG (a few hundred colours are plenty for a page): a third of the size."""
    from PIL import Image

    with Image.open(path) as image:
        small = image.convert("RGB").quantize(colors=192)
    small.save(path, optimize=True)


def measure(seconds: float, screenshots: str | None = None) -> dict:
    from playwright.sync_api import sync_playwright

    chromium = shutil.which("chromium")
    if chromium is None:
        raise SystemExit("bench_playground: needs Debian's chromium (apt-get install chromium)")
    command = [sys.executable, "-m", "nnscratch.cli", "playground", "--no-browser", "--port", "0"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = proc.stdout.readline().strip()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
            page = browser.new_page(viewport={"width": 1240, "height": 1000})
            page.goto(f"{url}&{SETTINGS}")
            # polled here: wait_for_function polls with eval, which the page's CSP forbids
            _wait(page, "!!(window.playground && window.playground.frames > 0)")
            page.get_by_role("button", name="Play").click()
            time.sleep(1.0)
            state = "[window.playground.frames, window.playground.frame.step, performance.now()]"
            f0, s0, t0 = page.evaluate(state)
            time.sleep(seconds)
            f1, s1, t1 = page.evaluate(state)
            draw_ms, frame_ms = page.evaluate("[window.playground.drawMs, window.playground.frame.ms]")
            if screenshots:
                _screenshots(page, screenshots)
            sizes = page.evaluate("window.playground.data.sizes")
            grid = page.evaluate("window.playground.data.grid")
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    dt = (t1 - t0) / 1000
    return {"network": "-".join(map(str, sizes)), "points": 500, "batch": 10, "grid": f"{grid}x{grid}",
            "seconds": round(dt, 2), "steps_per_s": round((s1 - s0) / dt),
            "frames_per_s": round((f1 - f0) / dt, 1), "server_ms_per_frame": frame_ms,
            "browser_ms_per_draw": round(draw_ms, 2), "cpus": os.cpu_count(),
            "load_average": round(os.getloadavg()[0], 2)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0, help="measured seconds (default 10)")
    parser.add_argument("--screenshots", metavar="DIR",
                        help="also save playground.en.png and playground.ja.png there (e.g. docs/images)")
    args = parser.parse_args(argv)
    result = measure(args.seconds, args.screenshots)
    result["bars_met"] = result["steps_per_s"] >= 2000 and result["frames_per_s"] >= 20
    print(json.dumps(result))
    return 0 if result["bars_met"] else 1


if __name__ == "__main__":
    sys.exit(main())
