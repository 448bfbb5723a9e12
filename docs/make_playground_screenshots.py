"""Screenshots of the playground telling the learner what it does, in Japanese and English: the page at
step 0 (the empty unit and trace panels say what to click, the loss chart has its axes), a data change
while training (the network is rebuilt, step 0, said in a notice), a live learning-rate change (the
weights kept), an uploaded CSV (noise and sample count disabled, with the reason), L1 set and trained (the
network rebuilt, the share of near-zero weights per layer and the penalty beside the loss) and the page
beyond the server's limit (the server's reason in the page).

    pip install -e ".[test]"                   # Playwright; and Debian's chromium
    python docs/make_playground_screenshots.py OUT_DIR

Writes ``OUT_DIR/{start,rebuilt,live,csv,l1,refused}.{ja,en}.png`` — pictures to look at when the page's
words change; the README's two pictures are made by ``benchmarks/bench_playground.py --screenshots``.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
SETTINGS = "data=moons&samples=300&noise=0.15&layers=6-6&activations=tanh-tanh&lr=0.1&batch=10&speed=100"
CSV = b"x0,x1,label\n" + b"".join(f"{i % 9},{(i * 7) % 5},{'ab'[(i % 9) > 4]}\n".encode() for i in range(80))
WORDS = {"ja": {"play": "再生", "pause": "一時停止", "lr": "学習率", "l1": "L1 正則化 λ (誤差に λΣ|W|)"},
         "en": {"play": "Play", "pause": "Pause", "lr": "Learning rate",
                "l1": "L1 λ (adds λΣ|W| to the loss)"}}


def _wait(page, expression: str, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not page.evaluate(expression):
        if time.monotonic() > deadline:
            raise SystemExit(f"make_playground_screenshots: timed out waiting for {expression}")
        time.sleep(0.05)


def _open(context, url: str, lang: str):
    page = context.new_page()
    page.goto(f"{url}&{SETTINGS}&lang={lang}")
    _wait(page, "!!(window.playground && window.playground.frames > 0)")
    _wait(page, "document.fonts.check('16px IPAexGothic-nnscratch', '再生')")
    return page


def l1_shot(context, url: str, lang: str, out: Path) -> None:
    """L1 set with its control (the network rebuilt), trained, paused: the network panel with the share
    of near-zero weights per layer and the penalty line, and the scores with the penalty beside E."""
    w = WORDS[lang]
    page = _open(context, url, lang)
    try:
        page.get_by_label(w["l1"]).fill("0.003")
        page.get_by_label(w["l1"]).press("Enter")
        _wait(page, "window.playground.frame && window.playground.frame.penalty.l1 === 0.003")
        page.get_by_role("button", name=w["play"]).click()
        _wait(page, "window.playground.frame.step > 2000")
        page.get_by_role("button", name=w["pause"]).click()
        _wait(page, "!window.playground.frame.running")
        time.sleep(0.3)
        panel = page.locator("[aria-labelledby=h-net]").bounding_box()
        page.screenshot(path=out / f"l1.{lang}.png", full_page=True,
                        clip={"x": 0, "y": 0, "width": 1240, "height": panel["y"] + panel["height"] + 12})
    finally:
        page.close()


def shots(context, url: str, lang: str, out: Path) -> None:
    l1_shot(context, url, lang, out)
    w = WORDS[lang]
    page = _open(context, url, lang)
    top = {"x": 0, "y": 0, "width": 1240, "height": 1000}
    page.screenshot(path=out / f"start.{lang}.png", full_page=True)  # the trace panel at the bottom too
    page.get_by_role("button", name=w["play"]).click()
    _wait(page, "window.playground.frame.step > 150")
    page.locator("#data").select_option("circles")
    _wait(page, "!document.getElementById('notice').hidden && window.playground.data.name === 'circles'")
    page.screenshot(path=out / f"rebuilt.{lang}.png", clip=top)
    page.get_by_role("button", name=w["play"]).click()
    _wait(page, "window.playground.frame.step > 100")
    page.get_by_label(w["lr"]).focus()
    for _ in range(5):
        page.keyboard.press("ArrowLeft")
    _wait(page, "!document.getElementById('notice').hidden")
    page.screenshot(path=out / f"live.{lang}.png", clip=top)
    page.get_by_role("button", name=w["pause"]).click()
    page.locator("#csv").set_input_files(files=[{"name": "mine.csv", "mimeType": "text/csv", "buffer": CSV}])
    _wait(page, "window.playground.settings.data === 'csv' && document.getElementById('noise').disabled")
    page.locator("#samples-label").hover()
    page.screenshot(path=out / f"csv.{lang}.png", clip={"x": 0, "y": 0, "width": 620, "height": 700})
    extra = []
    try:  # the server serves 8 pages; this one and 7 more, then one too many
        extra = [_open(context, url, lang) for _ in range(7)]
        refused = context.new_page()
        extra.append(refused)
        refused.goto(f"{url}&{SETTINGS}&lang={lang}")
        _wait(refused, "!document.getElementById('alert').hidden")
        refused.screenshot(path=out / f"refused.{lang}.png",
                           clip={"x": 0, "y": 0, "width": 1240, "height": 300})
    finally:
        for p in extra:
            p.close()
        page.close()


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print(__doc__.split("\n\n")[1], file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    chromium = shutil.which("chromium")
    if chromium is None:
        print("chromium is not installed (Debian: apt-get install chromium fonts-noto-cjk)", file=sys.stderr)
        return 2
    command = [sys.executable, "-m", "nnscratch.cli", "playground", "--no-browser", "--port", "0"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = proc.stdout.readline().strip()
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
            context = browser.new_context(viewport={"width": 1240, "height": 1000})
            for lang in ("ja", "en"):
                shots(context, url, lang, out)
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        proc.communicate(timeout=20)
    print(f"{len(list(out.glob('*.png')))} pictures in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
