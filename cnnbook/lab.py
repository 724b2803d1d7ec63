"""Start JupyterLab on the book's first page, on a free port of 127.0.0.1."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from pathlib import Path

FIRST_PAGE = Path("chapters") / "index.ipynb"


def port_is_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port`` and we may bind it."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        try:
            probe.bind((host, port))
        except OSError:
            return False
    return True


def first_free_port(preferred: int, tries: int = 50) -> int:
    """``preferred`` if it is free, else the next free port above it."""
    for port in range(preferred, preferred + tries):
        if port_is_free(port):
            return port
    raise RuntimeError(f"no free port in {preferred}..{preferred + tries - 1}; pass --port to choose another range")


def run_lab(root: str, preferred_port: int, open_browser: bool = True) -> int:
    """Run JupyterLab in the foreground until it is stopped; return its exit code."""
    root_path = Path(root).resolve()
    if not (root_path / FIRST_PAGE).exists():
        print(f"cnnbook lab: {root_path} has no {FIRST_PAGE}; run it from the book's folder or pass --root", file=sys.stderr)
        return 2
    port = first_free_port(preferred_port)
    if port != preferred_port:
        print(f"cnnbook lab: port {preferred_port} is in use; starting JupyterLab on port {port} instead", flush=True)
    print(f"cnnbook lab: opening the book at http://127.0.0.1:{port}/lab/tree/{FIRST_PAGE.as_posix()}", flush=True)
    command = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={root_path}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={port}",
        "--ServerApp.port_retries=0",
        f"--ServerApp.open_browser={open_browser}",
        f"--LabApp.default_url=/lab/tree/{FIRST_PAGE.as_posix()}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        command.append("--ServerApp.allow_root=True")
    try:
        return subprocess.call(command, cwd=root_path)
    except KeyboardInterrupt:
        return 0
