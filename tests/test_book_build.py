"""`make book` works: jupyter-book 1.x builds every chapter, executed, with no warning, into a book that
works offline: its pages load no JavaScript from a CDN, and each chapter's widgets, figure included,
render from the state saved in the page, in Debian's Chromium with every non-local request blocked.

The book is built once for all these tests (the module's `book` fixture; it takes minutes), from a copy
of the repository, so they never leave _build/, node_modules/ or caches in the working tree.
"""

from __future__ import annotations

import base64
import importlib.util
import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from paths import REPO_ROOT

pytestmark = pytest.mark.slow

NOT_COPIED = (".venv", ".git", "_build", "__pycache__", ".pytest_cache", ".hypothesis", ".ruff_cache",
              "node_modules", "_vendor")
# The widget modules that @jupyter-widgets/html-manager's embed-amd.js bundles; a widget of any other
# module would be fetched from a CDN (vendor it, or leave that widget out of the chapters).
BUNDLED_WIDGET_MODULES = {"@jupyter-widgets/base", "@jupyter-widgets/controls", "@jupyter-widgets/output"}
CDN = re.compile(r"cdn\.jsdelivr|unpkg\.com|cdnjs|googleapis|cloudflare", re.IGNORECASE)
# sphinx-thebe declares, in an inline script on every page, the URL it would load Thebe from when a reader
# starts live code; this book shows no Thebe button (launch_buttons), so it is never fetched.
THEBE_URL = re.compile(r'const THEBE_JS_URL = "https://unpkg\.com/thebe@[^"]*";')
WIDGET_STATE = re.compile(r'<script type="application/vnd\.jupyter\.widget-state\+json">(.*?)</script>', re.DOTALL)
WIDGET_JS = ("_static/widgets/setup.js", "_static/widgets/require.js", "_static/widgets/embed-amd.js")
CHAPTER_PAGES = sorted(f"{folder}/{p.stem}.html" for folder in ("chapters", "zh/chapters")
                       for p in (REPO_ROOT / folder).glob("[0-9][0-9]_*.ipynb"))


@pytest.fixture(scope="module")
def book(tmp_path_factory) -> Path:
    """Vendor the JavaScript (npm) and build the book in a copy of the repository; the built html/ folder."""
    jupyter_book = Path(sys.executable).parent / "jupyter-book"
    if not jupyter_book.exists():
        pytest.fail("jupyter-book is not installed in this environment; `make test` installs it")
    if shutil.which("npm") is None:
        pytest.fail("npm is not installed: the web book gets its widgets' JavaScript from npm "
                    "(Debian/Ubuntu: apt-get install npm; `bash .ci/run` installs it as root)")
    source = tmp_path_factory.mktemp("book") / "book"
    shutil.copytree(REPO_ROOT, source, ignore=shutil.ignore_patterns(*NOT_COPIED))
    vendor = subprocess.run([sys.executable, str(source / "tools" / "vendor_js.py"), str(source)],
                            capture_output=True, text=True, timeout=600)
    assert vendor.returncode == 0, vendor.stdout[-4000:] + vendor.stderr[-4000:]
    shutil.rmtree(source / "node_modules")   # 150 MB the build does not need
    build = subprocess.run([str(jupyter_book), "build", str(source), "--warningiserror", "--nitpick", "--keep-going"],
                           capture_output=True, text=True, timeout=1200)
    assert build.returncode == 0, build.stdout[-4000:] + build.stderr[-4000:]
    return source / "_build" / "html"


def test_the_book_builds_without_warnings_into_html(book):
    for folder in ("chapters", "zh/chapters", "zh/exercises"):
        for chapter in (REPO_ROOT / folder).glob("*.ipynb"):
            page = book / folder / (chapter.stem + ".html")
            assert page.exists(), f"no page for {folder}/{chapter.name}"
            assert "language-switch.js" in page.read_text(encoding="utf-8"), f"{page.name}: no language switch"
    assert (book / "_static" / "language-switch.js").exists()
    capstone = (book / "chapters" / "08_lenet_from_scratch.html").read_text(encoding="utf-8")
    assert "<img" in capstone, "the capstone page has no executed figures"


def test_no_page_loads_anything_from_a_cdn(book):
    pages = sorted(book.rglob("*.html"))
    assert len(pages) > 40
    for page in pages:
        text = THEBE_URL.sub("", page.read_text(encoding="utf-8"))
        assert not CDN.search(text), f"{page.relative_to(book)} names a CDN: {CDN.search(text).group(0)}"
        for source in re.findall(r'<script[^>]*\ssrc="([^"]*)"', text):
            assert "//" not in source, f"{page.relative_to(book)} loads a script from elsewhere: {source}"
    for vendored in (*WIDGET_JS, "_static/mathjax/tex-mml-chtml.js"):
        assert (book / vendored).stat().st_size > 500, f"{vendored} is missing from the build"
    assert any((book / "_static" / "mathjax" / "output" / "chtml" / "fonts" / "woff-v2").glob("*.woff"))


def widget_state(page: Path) -> dict:
    """The widget state myst-nb saved in a built page: model id -> model."""
    found = WIDGET_STATE.findall(page.read_text(encoding="utf-8"))
    assert len(found) == 1, f"{page.name}: {len(found)} widget states, expected one"
    return json.loads(found[0])["state"]


def images(state: dict) -> list[bytes]:
    """The PNG bytes of every Image model of a widget state."""
    pngs = []
    for model in state.values():
        if model["model_name"] == "ImageModel":
            buffers = [b for b in model.get("buffers", []) if b["path"] == ["value"]]
            pngs += [base64.b64decode(b["data"]) for b in buffers]
    return pngs


@pytest.mark.parametrize("chapter", CHAPTER_PAGES)
def test_each_chapter_page_carries_its_widgets_state_and_loads_the_local_manager(book, chapter):
    page = book / chapter
    state = widget_state(page)
    modules = {model["model_module"] for model in state.values()}
    assert modules <= BUNDLED_WIDGET_MODULES, f"{chapter}: widgets the local manager does not bundle: {modules}"
    pngs = images(state)
    assert pngs and all(png.startswith(b"\x89PNG\r\n\x1a\n") for png in pngs), f"{chapter}: no figure in the state"
    text = page.read_text(encoding="utf-8")
    positions = [text.find(f'src="{"../" * chapter.count("/")}{js}') for js in WIDGET_JS]
    assert all(p > 0 for p in positions) and positions == sorted(positions), f"{chapter}: widget scripts {positions}"


# ---------------------------------------------------------------------------------------------------
# In a browser, offline: Debian's Chromium through Playwright (never a downloaded browser).

CHROMIUM = os.environ.get("CNNBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
# Page errors that are not the widgets': sphinx-thebe writes its inline configuration script twice.
KNOWN_PAGE_ERRORS = ("Identifier 'THEBE_JS_URL' has already been declared",)


@pytest.fixture(scope="module")
def browser():
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        pytest.skip(f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CNNBOOK_CHROMIUM)")
    if importlib.util.find_spec("playwright") is None:
        pytest.skip("the Python package playwright is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


# The Chinese pages run the same code cells (tests/test_translation.py): one of them stands for all.
BROWSER_PAGES = [page for page in CHAPTER_PAGES if page.startswith("chapters/")] + ["zh/chapters/03_convolution.html"]


@pytest.mark.browser
@pytest.mark.parametrize("chapter", BROWSER_PAGES)
def test_a_chapter_page_draws_its_widgets_offline_from_file(book, browser, chapter, tmp_path):
    """Opened from file:// with every other request aborted, the page shows each widget's sliders and
    figure: the initial one, drawn from the PNG its state carries, without a kernel."""
    state = widget_state(book / chapter)
    expected_figures = len(images(state))
    expected_sliders = sum(model["model_name"] == "IntSliderModel" for model in state.values())
    assert expected_sliders > 0, f"{chapter}: no slider in the widget state"
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    left_the_machine, failed, errors = [], [], []

    def only_local(route):
        if route.request.url.startswith("file://"):
            route.continue_()
        else:
            left_the_machine.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    page.on("requestfailed", lambda request: failed.append(request.url))
    page.on("pageerror", lambda error: errors.append(str(error)))
    try:
        page.goto((book / chapter).as_uri(), timeout=120_000)
        page.wait_for_function("n => [...document.querySelectorAll('img.widget-image')]"
                               ".filter(image => image.complete && image.naturalWidth > 0).length >= n",
                               arg=expected_figures, timeout=120_000)
        figures = page.eval_on_selector_all("img.widget-image", "images => images.map(image => image.src)")
        sliders = page.locator(".widget-slider .noUi-handle").count()
        page.locator("img.widget-image").first.scroll_into_view_if_needed()
        page.screenshot(path=str(tmp_path / (chapter.replace("/", "_") + ".png")))
    finally:
        page.close()
    assert len(figures) == expected_figures and all(src.startswith("blob:") for src in figures), figures
    assert sliders == expected_sliders, f"{chapter}: {sliders} sliders drawn, {expected_sliders} in the state"
    assert not left_the_machine, f"{chapter} asked the network for {left_the_machine}"
    assert not failed, f"{chapter}: local requests failed: {failed}"
    unexpected = [e for e in errors if not e.startswith(KNOWN_PAGE_ERRORS)]
    assert not unexpected, f"{chapter}: JavaScript errors: {unexpected}"
