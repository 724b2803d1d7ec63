"""The README's set-up works: the Python gate, `make lab`, and the environment files."""

from __future__ import annotations

import glob
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import time
import tomllib
import urllib.request
from pathlib import Path

import pytest
import yaml

from paths import REPO_ROOT

FAKE_OLD_PYTHON = """#!/bin/sh
# Answers like Python 3.8 would: too old for tools/require_python.py, and 3.8.18 when asked its version.
case "$1" in
  tools/require_python.py) exit 1 ;;
  *) echo 3.8.18 ;;
esac
"""


def old_pythons() -> list[str]:
    """Real interpreters older than 3.10 found on this machine, plus a stand-in that answers like 3.8."""
    found = [shutil.which(f"python3.{minor}") for minor in range(6, 10)]
    found += glob.glob(os.path.expanduser("~/.pyenv/versions/3.[6-9].*/bin/python3"))
    return sorted({path for path in found if path})


@pytest.fixture
def fake_old_python(tmp_path) -> str:
    path = tmp_path / "python3"
    path.write_text(FAKE_OLD_PYTHON)
    path.chmod(0o755)
    return str(path)


def run_make(*args: str, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=REPO_ROOT, capture_output=True,
                          text=True, timeout=60, **kwargs)


def assert_refused_at_once(result: subprocess.CompletedProcess, venv: Path) -> None:
    assert result.returncode != 0
    assert "cnnbook needs Python 3.10 or newer" in result.stderr
    assert "Traceback" not in result.stdout + result.stderr
    assert not venv.exists(), "no virtual environment may be created with an unsupported Python"


def test_make_refuses_an_old_python_with_a_clear_message(fake_old_python, tmp_path):
    venv = tmp_path / "venv"
    result = run_make("test", f"PYTHON={fake_old_python}", f"VENV={venv}")
    assert_refused_at_once(result, venv)
    assert "is 3.8.18" in result.stderr


@pytest.mark.parametrize("python", old_pythons() or [pytest.param(None, marks=pytest.mark.skip("no Python < 3.10 here"))])
def test_make_refuses_a_real_old_python(python, tmp_path):
    venv = tmp_path / "venv"
    assert_refused_at_once(run_make("lab", f"PYTHON={python}", f"VENV={venv}"), venv)


def test_make_accepts_this_python():
    assert run_make("check-python", "PYTHON=python3").returncode == 0


# --- make lab -------------------------------------------------------------------------------

def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for_api(port: int, token: str, deadline: float) -> dict:
    url = f"http://127.0.0.1:{port}/api/contents/chapters/index.ipynb?content=0&token={token}"
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                return json.load(response)
        except OSError:
            time.sleep(0.3)
    raise AssertionError(f"JupyterLab did not answer on port {port}")


class LabServer:
    """`make lab` started headless; stopped (with its whole process group) on exit."""

    def __init__(self, port: int, token: str):
        env = dict(os.environ, JUPYTER_TOKEN=token)
        self.process = subprocess.Popen(
            ["make", "--no-print-directory", "lab", f"LAB_ARGS=--no-browser --port {port}"],
            cwd=REPO_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
            start_new_session=True,
        )

    def read_until(self, pattern: str, timeout: float = 60) -> re.Match:
        deadline, seen = time.monotonic() + timeout, []
        while time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                break
            seen.append(line)
            match = re.search(pattern, line)
            if match:
                return match
        raise AssertionError(f"never printed {pattern!r}; output was:\n{''.join(seen)}")

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.stdout.close()


@pytest.mark.slow
def test_make_lab_serves_the_book_on_its_first_page():
    port = free_port()
    with LabServer(port, token="cnnbook-test") as lab:
        lab.read_until(rf"http://127\.0\.0\.1:{port}/lab/tree/chapters/index\.ipynb")  # Jupyter's own address line
        model = wait_for_api(port, "cnnbook-test", time.monotonic() + 60)
    assert model["path"] == "chapters/index.ipynb" and model["type"] == "notebook"


@pytest.mark.slow
def test_make_lab_moves_to_another_port_when_its_port_is_taken():
    with socket.socket() as occupant:
        occupant.bind(("127.0.0.1", 0))
        occupant.listen()
        taken = occupant.getsockname()[1]
        with LabServer(taken, token="cnnbook-test") as lab:
            lab.read_until(rf"The port {taken} is already in use, trying another port")  # Jupyter's port_retries
            other = int(lab.read_until(r"http://127\.0\.0\.1:(\d+)/lab/tree/chapters/index\.ipynb").group(1))
            assert other != taken
            wait_for_api(other, "cnnbook-test", time.monotonic() + 60)


# --- one list of dependencies ---------------------------------------------------------------

def test_conda_and_binder_install_the_package_with_the_extras_of_pyproject():
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text())["project"]
    extras = set(project["optional-dependencies"])
    assert {"course", "test"} <= extras

    conda = yaml.safe_load((REPO_ROOT / "environment.yml").read_text())
    pip_section = next(item["pip"] for item in conda["dependencies"] if isinstance(item, dict))
    assert pip_section == ["-e .[course,test]"]
    assert all(isinstance(item, str) and item.split("=")[0] in {"python", "pip"} for item in conda["dependencies"]
               if not isinstance(item, dict)), "conda must not list dependencies of its own"

    binder_env = yaml.safe_load((REPO_ROOT / "binder" / "environment.yml").read_text())
    assert all(item.split("=")[0] in {"python", "pip"} for item in binder_env["dependencies"])
    post_build = (REPO_ROOT / "binder" / "postBuild").read_text()
    assert 'pip install --no-cache-dir -e ".[course]"' in post_build
    assert os.access(REPO_ROOT / "binder" / "postBuild", os.X_OK)

    python_pin = next(item for item in conda["dependencies"] if isinstance(item, str) and item.startswith("python"))
    minimum = project["requires-python"].removeprefix(">=")
    assert tuple(map(int, python_pin.split("=")[1].split("."))) >= tuple(map(int, minimum.split(".")))
