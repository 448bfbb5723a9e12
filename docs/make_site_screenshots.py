"""Screenshots of the built documentation site, to look at it as a reader does: a Japanese page and an
English page (and the API reference), in headless Chromium.

    mkdocs build --strict
    python docs/make_site_screenshots.py [--site site] [--out site-screenshots]

Serves SITE on a free loopback port (python's http.server), opens each page with Playwright driving the
system's Chromium (``shutil.which("chromium")``; Debian: ``apt-get install chromium fonts-noto-cjk``),
and writes one PNG per page into OUT (not tracked: they are for looking, not for the repository).
"""

from __future__ import annotations

import argparse
import functools
import http.server
import shutil
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PAGES = {  # file name -> path in the site
    "ja-getting-started.png": "ja/",
    "ja-course-map.png": "ja/course-map/",
    "ja-tutorial.png": "ja/tutorial/",
    "en-getting-started.png": "en/",
    "en-course-map.png": "en/course-map/",
    "reference-networks.png": "reference/networks/",
    "notebook-day1-ja.png": "notebooks/day1.ja/",
}

SEARCHES = {"勾配降下法": "ja", "gradient descent": "en"}  # query -> file name part


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args):  # no line per request
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=ROOT / "site")
    parser.add_argument("--out", type=Path, default=ROOT / "site-screenshots")
    parser.add_argument("--width", type=int, default=1280)
    parser.add_argument("--height", type=int, default=900)
    args = parser.parse_args()
    if not (args.site / "index.html").exists():
        parser.error(f"--site: no index.html in {args.site}; run 'mkdocs build' first")
    chromium = shutil.which("chromium")
    if chromium is None:
        parser.error("no chromium on PATH (Debian: apt-get install chromium fonts-noto-cjk)")
    from playwright.sync_api import sync_playwright

    handler = functools.partial(_Quiet, directory=str(args.site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_address[1]}/"
    args.out.mkdir(parents=True, exist_ok=True)
    try:
        with sync_playwright() as p:
            flags = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
            browser = p.chromium.launch(executable_path=chromium, args=flags)
            page = browser.new_page(viewport={"width": args.width, "height": args.height})
            for name, path in PAGES.items():
                page.goto(base + path, wait_until="load")
                page.wait_for_timeout(300)
                page.screenshot(path=str(args.out / name))
                lang = page.evaluate("document.documentElement.lang")
                print(f"{args.out / name}  lang={lang}")
            for query in SEARCHES:  # the search box, in Japanese and English
                page.goto(base + "ja/", wait_until="load")
                page.click("label.md-header__button[for='__search']", timeout=5000) \
                    if page.is_visible("label.md-header__button[for='__search']") else None
                page.fill("input.md-search__input", query)
                page.wait_for_selector(".md-search-result__item", timeout=15000)
                hits = page.locator(".md-search-result__item").count()
                name = f"search-{SEARCHES[query]}.png"
                page.screenshot(path=str(args.out / name))
                print(f"{args.out / name}  search {query!r}: {hits} results shown")
            browser.close()
    finally:
        server.shutdown()


if __name__ == "__main__":
    main()
