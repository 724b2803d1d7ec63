"""Start JupyterLab on the book's first page, on 127.0.0.1.

When the preferred port is taken, Jupyter Server itself moves on to the next free one
(``port_retries``) and says so ("The port 8888 is already in use, trying another port."),
then prints the address it serves, which is the one to open.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

FIRST_PAGE = Path("chapters") / "index.ipynb"
# How many ports above the preferred one Jupyter Server tries before it gives up.
PORT_RETRIES = 50


def run_lab(root: str, preferred_port: int, open_browser: bool = True) -> int:
    """Run JupyterLab in the foreground until it is stopped; return its exit code."""
    root_path = Path(root).resolve()
    if not (root_path / FIRST_PAGE).exists():
        print(f"cnnbook lab: {root_path} has no {FIRST_PAGE}; run it from the book's folder or pass --root", file=sys.stderr)
        return 2
    print(f"cnnbook lab: opening the book at /lab/tree/{FIRST_PAGE.as_posix()} on port {preferred_port}, or the "
          f"next free port (Jupyter prints the address below)", flush=True)
    command = [
        sys.executable, "-m", "jupyterlab",
        f"--ServerApp.root_dir={root_path}",
        "--ServerApp.ip=127.0.0.1",
        f"--ServerApp.port={preferred_port}",
        f"--ServerApp.port_retries={PORT_RETRIES}",
        f"--ServerApp.open_browser={open_browser}",
        f"--LabApp.default_url=/lab/tree/{FIRST_PAGE.as_posix()}",
    ]
    if hasattr(os, "geteuid") and os.geteuid() == 0:  # containers and CI often run as root
        command.append("--ServerApp.allow_root=True")
    try:
        return subprocess.call(command, cwd=root_path)
    except KeyboardInterrupt:
        return 0
