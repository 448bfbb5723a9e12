"""The playground in a real headless Chromium (Debian's ``chromium``, driven by Playwright with
``executable_path``; no browser is downloaded): the page a learner opens, pressed like a learner does.

One server (``nnscratch playground`` in a subprocess) and one page serve the tests of this module, in
order: play and see the loss fall and the boundary change, change the learning rate live, trace a
clicked sample (the numbers of ``nnscratch.trace`` on the downloaded model), switch the language (the
Japanese web font drawn), upload a bad CSV and read its one-line error. The tests of what the page says
(a rebuilt or a live change, the controls a CSV does not use, the empty panels, the loss chart's axes,
the page beyond the server's limit) open more pages of the same server (``fresh``), each at step 0.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from tests.needs import need_module, need_program

import nnscratch

BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                "--disable-component-update", "--disable-sync", "--no-first-run"]
SETTINGS = "data=xor&samples=200&noise=0&layers=6-6&activations=tanh-tanh&lr=0.1&batch=10&speed=max"


def wait_until(page, expression: str, timeout: float = 20.0):
    """Poll a JavaScript expression (Playwright's wait_for_function evaluates strings with eval, which
    the page's Content-Security-Policy rightly forbids)."""
    deadline = time.monotonic() + timeout
    while True:
        value = page.evaluate(expression)
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {expression}")
        time.sleep(0.05)


@pytest.fixture(scope="module")
def page():
    chromium = need_program("chromium")
    sync_api = need_module("playwright.sync_api")
    command = [sys.executable, "-m", "nnscratch.cli", "playground", "--no-browser", "--port", "0",
               "--lang", "en"]
    proc = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})
    try:
        url = proc.stdout.readline().strip()
        assert url.startswith("http://127.0.0.1:"), proc.stderr.read()
        with sync_api.sync_playwright() as p:
            browser = p.chromium.launch(executable_path=chromium, args=BROWSER_ARGS)
            context = browser.new_context(viewport={"width": 1240, "height": 1000}, accept_downloads=True)
            pg = context.new_page()
            errors: list[str] = []
            pg.on("pageerror", lambda e: errors.append(str(e)))
            pg.goto(f"{url}&{SETTINGS}")
            wait_until(pg, "window.playground && window.playground.frames > 0")
            pg.errors = errors
            pg.start_url = url
            yield pg
            browser.close()
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.communicate(timeout=20)  # also closes the pipes
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.communicate()


@pytest.fixture
def fresh(page):
    """``fresh(lang="en", wait=True)``: one more page of the module's server at step 0 (closed after the
    test), whatever the tests before did to the first page; ``wait`` for its first drawn frame."""
    pages = []

    def open_page(lang: str = "en", wait: bool = True):
        pg = page.context.new_page()
        pages.append(pg)
        pg.errors = []
        pg.on("pageerror", lambda e: pg.errors.append(str(e)))
        pg.goto(f"{page.start_url}&{SETTINGS}&lang={lang}")
        if wait:
            wait_until(pg, "window.playground && window.playground.frames > 0")
        return pg

    yield open_page
    for pg in pages:
        pg.close()


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def test_play_the_loss_falls_and_the_boundary_changes(page):
    before = page.locator("#plane").screenshot()
    loss0 = page.evaluate("window.playground.frame.loss.train")
    page.get_by_role("button", name="Play").click()
    wait_until(page, "window.playground.frame.step > 3000 && window.playground.frame.running")
    page.get_by_role("button", name="Pause").click()
    wait_until(page, "!window.playground.frame.running")
    loss1 = page.evaluate("window.playground.frame.loss.train")
    after = page.locator("#plane").screenshot()
    changed = np.mean(np.any(_pixels(before) != _pixels(after), axis=2))
    assert loss1 < 0.5 * loss0 and changed > 0.2, (loss0, loss1, changed)
    assert page.get_by_role("button", name="Play").get_attribute("aria-pressed") == "false"
    assert page.errors == []


def test_the_learning_rate_changes_live_and_keeps_the_weights(page):
    step = page.evaluate("window.playground.frame.step")
    w = page.evaluate("JSON.stringify(window.playground.frame.weights)")
    page.get_by_label("Learning rate").focus()
    for _ in range(10):  # the log slider, from the keyboard: 10^-1 → 10^-2
        page.keyboard.press("ArrowLeft")
    wait_until(page, "Math.abs(window.playground.frame.lr - 0.01) < 1e-9")
    assert page.evaluate("window.playground.frame.step") == step
    assert page.evaluate("JSON.stringify(window.playground.frame.weights)") == w
    assert "lr=0.01" in page.url and "token=" in page.url
    page.get_by_role("button", name="layer 2 unit 1").press("Enter")  # a unit's own output, by keyboard
    wait_until(page, "document.getElementById('unit-info').textContent.startsWith('layer 2 unit 1: output')")


def test_a_clicked_sample_is_traced_with_nnscratch_trace_numbers(page, tmp_path):
    box = page.locator("#plane").bounding_box()
    x, y = page.evaluate("""() => {
        const d = window.playground.data, b = d.bounds, c = document.getElementById('plane');
        return [(d.train.x0[0] - b[0]) / (b[2] - b[0]) * c.clientWidth,
                (b[3] - d.train.x1[0]) / (b[3] - b[1]) * c.clientHeight]; }""")
    page.mouse.click(box["x"] + x + 1, box["y"] + y + 1)
    wait_until(page, "window.playground.trace && window.playground.trace.lang === 'en'")
    shown = page.locator("#trace-text").inner_text()
    trace = page.evaluate("window.playground.trace")
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the model (.npz)").click()
    path = tmp_path / "model.npz"
    download.value.save_as(path)
    model = nnscratch.load(path)
    xs, d = np.array(trace["x"], dtype=np.float32), np.array(trace["d"], dtype=np.float32)
    assert np.allclose(model.preprocessor.transform(np.array([trace["raw"]]))[0], xs, atol=1e-6)
    expected = nnscratch.trace(model.network, xs, d=d, lr=trace["lr"], lang="en").to_text()
    assert shown.strip() == expected.strip() and "gradient dE/dW1" in shown
    assert model.metrics["train"]["accuracy"] > 0.8


def test_switching_to_japanese_draws_the_web_font(page):
    page.get_by_label("Language").select_option("ja")
    wait_until(page, "window.playground.trace && window.playground.trace.lang === 'ja'")
    assert page.get_by_role("button", name="再生").is_visible()
    assert page.evaluate("document.documentElement.lang") == "ja" and "lang=ja" in page.url
    assert "偏微分_重み1" in page.locator("#trace-text").inner_text()
    wait_until(page, "document.fonts.check('16px IPAexGothic-nnscratch', '再生')")
    assert page.evaluate("[...document.fonts].some(f => f.family.includes('IPAexGothic') "
                         "&& f.status === 'loaded')")


def test_a_bad_csv_gets_its_one_line_error_in_the_page(page):
    page.locator("#csv").set_input_files(files=[{"name": "mine.csv", "mimeType": "text/csv",
                                                  "buffer": b"x0,x1,label\n0.5,1,a\n0.25,two,b\n"}])
    error = page.locator("#csv-error")
    wait_until(page, "document.getElementById('csv-error').textContent.length > 0")
    assert error.inner_text() == "mine.csv, line 3, column 'x1': 'two' is not a number"
    page.locator("#csv").set_input_files(files=[{"name": "ok.csv", "mimeType": "text/csv",
                                                  "buffer": b"x0,x1,label\n" + b"".join(
                                                      f"{i % 9},{i % 4},{(i % 9) > 4}\n".encode()
                                                      for i in range(60))}])
    wait_until(page, "window.playground.settings.data === 'csv' && window.playground.data.name === 'ok'")
    assert page.errors == []


def test_divergence_is_shown_as_what_it_is(page):
    page.get_by_label("データセット").select_option("linear")  # the page is in Japanese since the test above
    wait_until(page, "window.playground.data.task === 'regression'")
    page.get_by_label("学習率").focus()
    page.keyboard.press("End")  # 10^1 = 10
    wait_until(page, "window.playground.frame.lr === 10")
    page.get_by_role("button", name="再生").click()
    alert = page.get_by_role("alert")
    wait_until(page, "window.playground.frame.diverged !== null")
    assert "で誤差が inf になりました — 学習率を下げてください" in alert.inner_text()
    assert page.get_by_role("button", name="再生").is_visible() and page.errors == []


UNIT_HINT = "Click a unit (○) of a hidden or the output layer in the network diagram to see its output here."
TRACE_HINT = ("Click a point on the input plane, or enter a sample number and press Trace, to see every "
              "number of its forward pass, back-propagation and update here.")


def test_the_loss_chart_has_its_axes_at_step_0(fresh):
    pg = fresh()
    frame = pg.evaluate("window.playground.frame")
    axis = pg.evaluate("window.playground.curveAxis")
    assert frame["step"] == 0 and axis["x"] == [0, 10]  # steps 0 … 10, not "0 … 0"
    assert axis["y"][0] == 0 and max(frame["loss"]["train"], frame["loss"]["test"]) < axis["y"][1] <= 2.5
    curve = _pixels(pg.locator("#curve").screenshot())
    dark = curve.max(axis=2) < 140  # the axis lines, ticks and labels
    plot = dark[25:135]  # rows of the plot area (inside the 1-pixel border)
    assert plot[:, 39:44].any(axis=1).mean() > 0.85  # the loss axis, from 0 to its top (the dots of step
    # 0's losses sit on it)
    assert dark[137:142, 45:395].any(axis=0).mean() > 0.95  # the step axis along the bottom
    assert pg.errors == []


def test_the_empty_panels_say_what_to_click(fresh):
    pg = fresh()
    assert pg.locator("#unit-info").inner_text() == UNIT_HINT
    assert pg.locator("#trace-head").inner_text() == TRACE_HINT
    pg.get_by_role("button", name="layer 1 unit 0").click()
    wait_until(pg, "document.getElementById('unit-info').textContent.startsWith('layer 1 unit 0: output')")
    pg.get_by_role("button", name="Trace").click()
    wait_until(pg, "window.playground.trace !== null")
    assert pg.locator("#trace-head").inner_text().startswith("train sample #0")
    assert pg.locator("#trace-text").is_visible()
    pg.locator("#data").select_option("circles")  # a new run: the trace of the old one is gone
    wait_until(pg, "window.playground.data.name === 'circles'")
    assert pg.locator("#trace-head").inner_text() == TRACE_HINT and pg.locator("#trace-text").is_hidden()
    assert pg.errors == []


def test_a_change_that_rebuilds_the_network_says_so_and_a_live_one_keeps_the_weights(fresh):
    pg = fresh(lang="ja")
    notice = pg.locator("#notice")
    assert notice.is_hidden()
    pg.get_by_role("button", name="再生").click()
    wait_until(pg, "window.playground.frame.step > 100")
    pg.locator("#data").select_option("circles")  # while training runs
    wait_until(pg, "window.playground.data.name === 'circles' && !document.getElementById('notice').hidden")
    assert notice.inner_text() == ("データを変えたのでネットワークを作り直しました (ステップ 0)。"
                                   "学習は止まりました — 「再生」で初めから学習します。")
    wait_until(pg, "window.playground.frame.version === window.playground.data.version")
    assert pg.evaluate("window.playground.frame.step") == 0
    assert pg.get_by_role("button", name="再生").get_attribute("aria-pressed") == "false"
    pg.locator("#lang").select_option("en")  # the same notice, in the page's new language
    assert notice.inner_text() == ("The data changed, so the network was built again (step 0). "
                                   "Training stopped — press Play to train it from the start.")
    pg.get_by_role("button", name="+ hidden layer").click()
    wait_until(pg, "window.playground.data.sizes.length === 5")
    wait_until(pg, "document.getElementById('notice').textContent.startsWith('The network changed')")
    assert notice.inner_text() == "The network changed, so it was built again with new weights (step 0)."
    pg.get_by_role("button", name="Play").click()
    assert notice.is_hidden()  # the learner acted on it
    wait_until(pg, "window.playground.frame.step > 50")
    pg.get_by_label("Learning rate").focus()
    for _ in range(10):  # 10^-1 → 10^-2 on the log slider
        pg.keyboard.press("ArrowLeft")
    said = wait_until(pg, "document.getElementById('notice').textContent.includes('set to 0.01 ') "
                          "&& document.getElementById('notice').textContent")
    assert said.startswith("Learning rate set to 0.01 — the weights are kept; training goes on from step ")
    at = int(re.search(r"from step (\d+)\.$", said).group(1))
    wait_until(pg, f"window.playground.frame.step > {at}")  # goes on from there, not from 0
    frame = pg.evaluate("window.playground.frame")
    assert at > 50 and frame["running"] and frame["lr"] == 0.01
    assert pg.errors == []


def test_after_a_csv_upload_the_controls_it_does_not_use_are_off_and_say_why(fresh):
    pg = fresh()
    pg.locator("#data").select_option("csv")  # no file yet: refused, and the control shows the set in force
    wait_until(pg, "!document.getElementById('alert').hidden")
    assert "needs an uploaded file first" in pg.locator("#alert").inner_text()
    assert pg.locator("#data").input_value() == "xor" and pg.locator("#noise").is_enabled()
    rows = b"x0,x1,label\n" + b"".join(f"{i % 9},{i % 4},{(i % 9) > 4}\n".encode() for i in range(60))
    pg.locator("#csv").set_input_files(files=[{"name": "mine.csv", "mimeType": "text/csv", "buffer": rows}])
    wait_until(pg, "window.playground.settings.data === 'csv' && window.playground.data.name === 'mine'")
    off = "Not used with an uploaded CSV — choose a generated data set to use it"
    for name in ("noise", "samples"):
        assert pg.locator(f"#{name}").is_disabled()
        assert pg.locator(f"#{name}").get_attribute("title") == off
        assert pg.locator(f"#{name}-label").get_attribute("title") == off  # the tooltip over its label too
    seed = pg.locator("#data_seed")  # it still splits the CSV's rows into train and test
    assert seed.is_enabled() and seed.get_attribute("title") == ("With a CSV it only picks which rows are "
                                                                 "train and which are test")
    note = pg.locator("#csv-note")
    assert note.is_visible() and note.inner_text().startswith(
        "An uploaded CSV does not use the noise or the sample count (choose a generated data set")
    assert pg.locator("#notice").inner_text().startswith("The data changed, so the network was built again")
    pg.locator("#data").select_option("moons")
    wait_until(pg, "window.playground.data.name === 'moons'")
    for name in ("noise", "samples"):
        assert pg.locator(f"#{name}").is_enabled() and pg.locator(f"#{name}").get_attribute("title") is None
    assert seed.get_attribute("title") is None and note.is_hidden() and pg.errors == []


def test_l1_dropout_and_batch_norm_rebuild_and_the_page_shows_what_l1_does_to_the_weights(fresh):
    pg = fresh()
    assert pg.locator("#penalty").inner_text().startswith("Raise L1 λ and train")
    pg.get_by_label("L1 λ (adds λΣ|W| to the loss)").fill("0.01")
    pg.get_by_label("L1 λ (adds λΣ|W| to the loss)").press("Enter")
    wait_until(pg, "window.playground.settings.l1 === 0.01 && !document.getElementById('notice').hidden")
    assert pg.locator("#notice").inner_text() == (
        "Batch normalisation, dropout and L1/L2 are part of the network's layers and loss, so it was built "
        "again with new weights (step 0).")
    assert "l1=0.01" in pg.url  # the URL keeps the run
    wait_until(pg, "window.playground.frame.penalty.l1 === 0.01")
    before = pg.evaluate("window.playground.frame.near_zero.map((z) => z.count)")
    pg.get_by_role("button", name="Play").click()
    wait_until(pg, "window.playground.frame.step > 1200")
    pg.get_by_role("button", name="Pause").click()
    wait_until(pg, "!window.playground.frame.running")
    frame = pg.evaluate("window.playground.frame")
    after = [z["count"] for z in frame["near_zero"]]
    assert sum(after) > sum(before) + 10, (before, after)  # L1 pushes weights to 0, and the page shows it
    bars = pg.locator("#nearzero .bar")
    assert bars.count() == 3 and bars.nth(1).locator(".fill").get_attribute("style") != "width: 0.0%;"
    assert bars.nth(1).inner_text().split()[-1] == f"{100 * frame['near_zero'][1]['share']:.1f}%"
    assert pg.locator("#penalty").inner_text().startswith("penalty ")
    assert "(+ penalty " in pg.locator("#scores").inner_text()
    # batch normalisation (a checkbox) and dropout (a slider): the network gets their layers
    pg.get_by_label("L1 λ (adds λΣ|W| to the loss)").fill("0")
    pg.get_by_label("L1 λ (adds λΣ|W| to the loss)").press("Enter")
    pg.get_by_label("Batch normalisation (after each hidden Affine)").check()
    wait_until(pg, "window.playground.settings.batchnorm === true && window.playground.settings.l1 === 0")
    pg.get_by_label("Dropout rate p").focus()
    for _ in range(4):  # 0 → 0.2 in steps of 0.05
        pg.keyboard.press("ArrowRight")
    wait_until(pg, "window.playground.settings.dropout === 0.2")
    assert pg.locator("#dropout-out").inner_text() == "0.2"
    wait_until(pg, "window.playground.frame.settings.dropout === 0.2 "
                   "&& 'gamma1' in window.playground.frame.weights")
    assert pg.locator("#penalty").inner_text().startswith("Raise L1 λ")
    assert "penalty" not in pg.locator("#scores").inner_text()
    pg.locator("#trace").click()
    wait_until(pg, "window.playground.trace && window.playground.trace.batchnorm")
    text = pg.locator("#trace-text").inner_text()
    assert "batch norm 1: mean μ" in text and "dropout 1: mask" in text
    assert "a batch of one sample: σ² = 0 and x̂ = 0" in pg.locator("#trace-head").inner_text()
    pg.locator("#lang").select_option("ja")
    assert pg.get_by_label("バッチ正規化 (各中間層の Affine の後)").is_checked()
    assert pg.locator("#penalty").inner_text().startswith("L1 λ を上げて学習すると")
    wait_until(pg, "window.playground.trace.lang === 'ja'")
    assert "バッチ正規化1: 平均 μ" in pg.locator("#trace-text").inner_text()
    assert pg.errors == []


def test_the_page_beyond_the_limit_shows_the_servers_reason(fresh):
    """The server serves 8 pages: the module's page and 7 of these; the next is told why, in the page."""
    time.sleep(0.5)  # the pages the tests before closed have left the server
    served = 0
    for _ in range(10):
        pg = fresh(wait=False)
        wait_until(pg, "(window.playground && window.playground.frames > 0) "
                       "|| !document.getElementById('alert').hidden")
        if pg.locator("#alert").is_visible():
            break
        served += 1
    assert served == 7
    assert pg.locator("#alert").inner_text() == (
        "The server refused this page: at most 8 pages at once; close one, then reload")
    assert pg.get_by_role("button", name="Play").is_disabled() and pg.locator("#data").is_disabled()
    pg.locator("#lang").select_option("ja")  # the reason in the page's language too
    assert pg.locator("#alert").inner_text().startswith("このページは開けませんでした")
    assert "at most 8 pages at once" in pg.locator("#alert").inner_text() and pg.errors == []


def test_the_benchmark_runs():
    """benchmarks/bench_playground.py on one second, so that it cannot rot (its numbers mean nothing here;
    exit status 1 only says a bar was missed on this busy machine). A child process: Playwright's sync API
    cannot start a second time inside this module's running one."""
    import json
    from pathlib import Path

    need_program("chromium")
    bench = Path(__file__).resolve().parents[1] / "benchmarks" / "bench_playground.py"
    run = subprocess.run([sys.executable, str(bench), "--seconds", "1"], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode in (0, 1), run.stderr
    result = json.loads(run.stdout)
    assert result["network"] == "2-8-8-2" and result["grid"] == "64x64"
    assert result["steps_per_s"] > 0 and result["frames_per_s"] > 0
    assert result["bars_met"] == (run.returncode == 0)
