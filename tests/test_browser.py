"""Each chapter's widget, rendered by Voila and driven in a real Chromium.

The unit tests of cnnbook/teaching/demos/ prove the widgets' logic; these prove that a reader
sees it: the chapter is served on 127.0.0.1, opened in Debian's Chromium through
Playwright (never a downloaded browser), every request that would leave the machine
is blocked, a slider is moved with the keyboard, and the figure under it must change.
A screenshot of each chapter is left in the test's temporary directory.

Skipped, with the reason, where Chromium or Playwright is missing (`.ci/run` installs
Chromium with apt-get when it runs as root).
"""

from __future__ import annotations

import importlib.util
import os
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from paths import REPO_ROOT

CHROMIUM = os.environ.get("CNNBOOK_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-sync",
                 "--disable-background-networking", "--disable-component-update"]
CHAPTERS = sorted(p.name for p in (REPO_ROOT / "chapters").glob("[0-9][0-9]_*.ipynb"))
RENDER_TIMEOUT_MS = 180_000

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def missing_browser() -> str | None:
    if not (os.path.exists(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CNNBOOK_CHROMIUM)"
    for module in ("playwright", "voila"):
        if importlib.util.find_spec(module) is None:
            return f"the Python package {module} is not installed"
    return None


@pytest.fixture(scope="module")
def browser():
    reason = missing_browser()
    if reason:
        pytest.skip(reason)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Voila:
    """``voila`` serving one chapter on 127.0.0.1, stopped with its process group."""

    def __init__(self, notebook: Path, log_path):
        self.port = free_port()
        self.log = open(log_path, "w")
        command = [sys.executable, "-m", "voila", "--no-browser", f"--port={self.port}", "--Voila.ip=127.0.0.1",
                   f"--ServerApp.root_dir={notebook.parent}", str(notebook)]
        if os.geteuid() == 0:
            command.append("--ServerApp.allow_root=True")
        self.process = subprocess.Popen(command, stdout=self.log, stderr=subprocess.STDOUT,
                                        cwd=notebook.parent, start_new_session=True)
        self.url = f"http://127.0.0.1:{self.port}/"

    def wait_until_up(self, timeout: float = 60) -> None:
        """Wait until the port accepts connections (a GET would already execute the notebook)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise AssertionError(f"voila exited with {self.process.returncode}")
            with socket.socket() as probe:
                if probe.connect_ex(("127.0.0.1", self.port)) == 0:
                    return
            time.sleep(0.3)
        raise AssertionError(f"voila did not listen on {self.url}")

    def stop(self) -> None:
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


def image_sources(page) -> list[str]:
    return page.eval_on_selector_all(".widget-image", "images => images.map(image => image.src)")


@pytest.mark.parametrize("chapter", CHAPTERS)
def test_moving_a_slider_redraws_the_chapter_widget(browser, chapter, tmp_path):
    open_and_move_a_slider(browser, REPO_ROOT / "chapters" / chapter, tmp_path)


# Draws one character on a canvas and reads the pixels back: a character no installed font has is
# drawn as the same "tofu" box as a private-use code point that no font has.
DRAWN_LIKE_TOFU = r"""character => {
    const draw = text => {
        const canvas = document.createElement("canvas");
        canvas.width = canvas.height = 40;
        const context = canvas.getContext("2d");
        context.font = "32px sans-serif";
        context.fillText(text, 2, 34);
        return Array.from(context.getImageData(0, 0, 40, 40).data).join(",");
    };
    return draw(character) === draw("\u{10FFFD}");
}"""


def test_a_chinese_chapter_renders_its_text_and_its_widget(browser, tmp_path):
    notebook = REPO_ROOT / "zh" / "chapters" / ZH_CHAPTER
    page = open_and_move_a_slider(browser, notebook, tmp_path, keep_open=True)
    try:
        text = page.inner_text("body")
        assert "卷积" in text, "the Chinese text is not on the page"
        assert not page.evaluate(DRAWN_LIKE_TOFU, "卷"), "Chinese characters render as boxes: no CJK font"
    finally:
        page.close()


ZH_CHAPTER = "03_convolution.ipynb"


def open_and_move_a_slider(browser, notebook: Path, tmp_path, keep_open: bool = False):
    """Serve ``notebook`` with Voila, open it, move its first slider until a figure changes; the page
    is returned open with ``keep_open``, else closed."""
    chapter = notebook.name
    server = Voila(notebook, tmp_path / "voila.log")
    page = browser.new_page(viewport={"width": 1280, "height": 900})
    left_the_machine = []

    def only_local(route):
        if route.request.url.startswith(server.url):
            route.continue_()
        else:
            left_the_machine.append(route.request.url)
            route.abort()

    page.route("**/*", only_local)
    try:
        server.wait_until_up()
        page.goto(server.url, timeout=RENDER_TIMEOUT_MS)
        page.wait_for_selector(".widget-image", timeout=RENDER_TIMEOUT_MS)
        handle = page.locator(".widget-slider .noUi-handle").first
        handle.scroll_into_view_if_needed()
        before = image_sources(page)
        assert before and all(src.startswith("blob:") for src in before), "the widget's figure did not render"
        for key in ("ArrowRight", "ArrowLeft", "ArrowLeft"):   # the slider may start at its maximum
            handle.focus()
            page.keyboard.press(key)
            try:
                page.wait_for_function("before => [...document.querySelectorAll('.widget-image')]"
                                       ".some((image, i) => image.src !== before[i])", arg=before, timeout=30_000)
                break
            except Exception:  # noqa: BLE001 (playwright's TimeoutError: try the other direction)
                continue
        else:
            pytest.fail(f"{chapter}: moving the first slider changed no figure")
        page.screenshot(path=str(tmp_path / f"{chapter}.png"))
    finally:
        if not keep_open:
            page.close()
        server.stop()
    errors = [line for line in (tmp_path / "voila.log").read_text().splitlines() if "Traceback" in line]
    assert not errors, f"{chapter}: the kernel raised while rendering; see {tmp_path / 'voila.log'}"
    assert all("127.0.0.1" not in url for url in left_the_machine)
    return page
