"""Planted submissions for the grader's tests: honest work, learner mistakes, cheating and broken files.

Each entry is a list of code cells (a notebook is built from it by :func:`notebook`), named for what it
plants. They answer exercise 3 unless their name says otherwise. The tests in ``test_grading.py`` say
what each must earn.
"""

from __future__ import annotations

import json

import nbformat

# --- honest answers to exercise 3 ------------------------------------------------------------------

IMPORTS = "import numpy as np\nimport cnnbook as cb"

CORRELATE = '''def correlate2d_valid(x, k):
    R, S = k.shape
    out = np.zeros((x.shape[0] - R + 1, x.shape[1] - S + 1))
    for i in range(out.shape[0]):
        for j in range(out.shape[1]):
            out[i, j] = np.sum(x[i:i + R, j:j + S] * k)
    return out'''

OUTPUT_SIZE = '''def conv_output_size(n, kernel_size, stride, padding):
    return (n + 2 * padding - kernel_size) // stride + 1'''

DILATED = '''def dilated_output_size(n, kernel_size, stride, padding, dilation):
    return (n + 2 * padding - dilation * (kernel_size - 1) - 1) // stride + 1'''

CONV2D = '''def conv2d(x, w, b, stride, padding):
    xp = np.pad(x, ((0, 0), (0, 0), (padding, padding), (padding, padding)))
    N, C, H, W = xp.shape
    K, _, R, S = w.shape
    P, Q = (H - R) // stride + 1, (W - S) // stride + 1
    y = np.zeros((N, K, P, Q), dtype=np.result_type(x, w))
    for n in range(N):
        for k in range(K):
            for i in range(P):
                for j in range(Q):
                    window = xp[n, :, i * stride:i * stride + R, j * stride:j * stride + S]
                    y[n, k, i, j] = np.sum(window * w[k]) + b[k]
    return y'''

IM2COL = '''def im2col(x, kernel_size, stride, padding):
    C, H, W = x.shape
    xp = np.pad(x, ((0, 0), (padding, padding), (padding, padding)))
    P = (H + 2 * padding - kernel_size) // stride + 1
    Q = (W + 2 * padding - kernel_size) // stride + 1
    col = np.zeros((C * kernel_size * kernel_size, P * Q), dtype=x.dtype)
    for i in range(P):
        for j in range(Q):
            col[:, i * Q + j] = xp[:, i * stride:i * stride + kernel_size, j * stride:j * stride + kernel_size].ravel()
    return col'''

HONEST = [IMPORTS, CORRELATE, OUTPUT_SIZE, DILATED, CONV2D, IM2COL]


def notebook(cells: list[str], chapter: int | None = 3, metadata=None) -> dict:
    """A notebook (nbformat 4) of code cells; ``metadata`` replaces the whole metadata when given."""
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(source) for source in cells])
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    if chapter is not None:
        nb.metadata["cnnbook"] = {"chapter": chapter}
    data = json.loads(nbformat.writes(nb))
    if metadata is not None:
        data["metadata"] = metadata
    return data


def notebook_v3(cells: list[str]) -> dict:
    """The same as an nbformat 3 notebook (worksheets, ``input`` instead of ``source``)."""
    nb = nbformat.v3.new_notebook(worksheets=[nbformat.v3.new_worksheet(
        cells=[nbformat.v3.new_code_cell(input=source) for source in cells])])
    return json.loads(nbformat.v3.writes_json(nb))


# --- points without correct work: every one must earn nothing ---------------------------------------

CHEATS = {
    "bind_references": [IMPORTS, "from cnnbook.course.checks import questions_of_chapter\n"
                        "globals().update({q.function: q.reference for q in questions_of_chapter(3)})"],
    "call_the_package": [IMPORTS, "def conv_output_size(n, k, s, p):\n    return cb.conv_output_size(n, k, s, p)\n"
                         "def conv2d(x, w, b, stride, padding):\n    return cb.conv2d(x, w, b, stride, padding)\n"
                         "def correlate2d_valid(x, k):\n    return cb.correlate2d(x, k)\n"
                         "def dilated_output_size(n, k, s, p, d):\n"
                         "    return cb.conv_output_size(n, k, s, p, dilation=d)"],
    "reload_and_alias": [IMPORTS, "import importlib, cnnbook.conv_reference as r\nimportlib.reload(r)\n"
                         "conv2d = r.conv2d_reference\n"
                         "def conv_output_size(*a):\n"
                         "    f = importlib.reload(importlib.import_module('cnnbook.sizes'))\n"
                         "    return f.conv_output_size(*a)"],
    "switch_off_the_guard": [IMPORTS, "import sys\nf = cb.conv2d_reference\n"
                             "def conv2d(*a):\n    sys.setprofile(None)\n    return f(*a)"],
    "run_the_solutions": [IMPORTS, '''import json, pathlib
for folder in pathlib.Path(cb.__file__).resolve().parents:
    for path in folder.glob("solutions/03_*.ipynb"):
        for cell in json.loads(path.read_text())["cells"]:
            if cell["cell_type"] == "code":
                try:
                    exec("".join(cell["source"]).replace("### BEGIN SOLUTION", ""), globals())
                except Exception:
                    pass'''],
    "read_a_classmate": [IMPORTS, '''import json, os, pathlib, re
seen = set()
def texts():
    pid = os.getpid()
    while pid > 1:
        try:
            yield open(f"/proc/{pid}/cmdline", "rb").read().decode(errors="replace").replace("\\0", " ")
            yield open(f"/proc/{pid}/environ", "rb").read().decode(errors="replace").replace("\\0", " ")
            pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except OSError:
            break
    yield " ".join(os.environ.values())
    yield os.getcwd()
for text in texts():
    for word in re.findall(r"/[^\\s]+", text):
        path = pathlib.Path(word)
        for notebook in ([path] if path.suffix == ".ipynb" else list(path.glob("*.ipynb")) if path.is_dir() else []):
            if "classmate" in notebook.name and notebook not in seen:
                seen.add(notebook)
                for cell in json.loads(notebook.read_text())["cells"]:
                    if cell["cell_type"] == "code":
                        exec("".join(cell["source"]), globals())'''],
    "patch_the_transport": [IMPORTS, "import json, numpy\nimport cnnbook.course.checks.calling as c\n"
                            "json.dump = lambda *a, **k: None\njson.dumps = lambda *a, **k: '{\"outcomes\": []}'\n"
                            "numpy.array_equal = lambda *a, **k: True\nnumpy.allclose = lambda *a, **k: True\n"
                            "c.call_safely = lambda *a, **k: c.Outcome(returned=1)\nc.encode = lambda v: {'plain': 1}",
                            "def conv_output_size(n, k, s, p):\n    return 0"],
    "print_passed": ["print('conv2d: 7/7 cases passed')\ndef check(*args, **kwargs):\n    return True",
                     "def conv2d(x, w, b, stride, padding):\n    return 0"],
    "hard_code_the_visible_cases": [IMPORTS, '''from cnnbook.course.checks import QUESTIONS
_question = QUESTIONS["conv_output_size"]
_table = {case.args: _question.reference(*case.args) for case in _question.cases()}
def conv_output_size(n, kernel_size, stride, padding):
    return _table.get((n, kernel_size, stride, padding), 0)'''],
}

#: A chapter-1 answer handed in as exercise 3.
CHAPTER_1_ANSWER = ['''import numpy as np
def f_backward(x, y, z):
    q = x + y
    return z, z, q''']

#: Exercise 7's two scalar questions answered with a constant.
CONSTANT_ANSWERS = ["def equivariance_error(phi, x, down, right, border):\n    return 0.0",
                    "def invariance_error(phi, x, down, right):\n    return 0.0"]

# --- submissions that once crashed the whole run: each must be graded and reported alone -------------

BROKEN_RESULTS = {
    "garbage_on_the_grader_channel": [IMPORTS, OUTPUT_SIZE, '''import os
def conv2d(*args):
    for fd in range(3, 64):
        try:
            os.write(fd, b"\\x00\\x00\\x00\\x05junk!")
        except OSError:
            pass
    os._exit(0)'''],
    "huge_int_where_a_number_belongs": ["def conv_output_size(n, k, s, p):\n    return 10 ** 400",
                                        "def dilated_output_size(*args):\n    return float('nan')"],
    "lone_surrogate_in_an_error": [OUTPUT_SIZE, "def conv2d(*args):\n    raise ValueError('bad \\udcff value')"],
    "ndarray_whose_dtype_lies": [IMPORTS, OUTPUT_SIZE, '''class Liar(np.ndarray):
    @property
    def dtype(self):
        return np.dtype("float64")
def conv2d(x, w, b, stride, padding):
    return np.zeros((x.shape[0], w.shape[0], 3, 3), dtype=np.int8).view(Liar)'''],
}

#: Looks for the folder it was handed in from (in its parents' command lines and environments, and its
#: working directory) and writes a file there.
WRITE_BESIDE_ITSELF = [IMPORTS, OUTPUT_SIZE, '''import os, pathlib, re
def _places():
    pid = os.getpid()
    while pid > 1:
        try:
            for name in ("cmdline", "environ"):
                text = open(f"/proc/{pid}/{name}", "rb").read().decode(errors="replace")
                yield from re.findall(r"/[^\\s\\x00]+", text)
            pid = int(open(f"/proc/{pid}/stat").read().rsplit(")", 1)[1].split()[1])
        except OSError:
            break
    yield os.getcwd()
for place in set(_places()):
    folder = pathlib.Path(place)
    folder = folder.parent if folder.suffix == ".ipynb" else folder
    if folder.is_dir() and any(folder.glob("*.ipynb")):
        try:
            (folder / "planted_by_a_submission.txt").write_text("x")
        except OSError:
            pass''']

#: Notebooks whose code cells kill their process, crash, or fail, with work before and after.
DIES_HALF_WAY = [IMPORTS, CORRELATE, OUTPUT_SIZE, "import os\nos._exit(3)", DILATED, CONV2D, IM2COL]
SEGFAULT_THEN_ERRORS = [OUTPUT_SIZE, "import ctypes\nctypes.string_at(0)", "1 / 0", "def conv2d(:\n    pass", DILATED]
HUGE_OUTPUT = ["print('x' * 30_000_000)", OUTPUT_SIZE]

#: Raises NotImplementedError for strides above 1 only: partial credit.
PARTLY_IMPLEMENTED = ['''def conv_output_size(n, kernel_size, stride, padding):
    if stride != 1:
        raise NotImplementedError("strides later")
    return n + 2 * padding - kernel_size + 1''']

#: Exercise 8 with its given wrappers rewritten to pass, and no model behind them.
REWRITTEN_WRAPPERS = ['''import numpy as np
from cnnbook.course.checks.questions_ch08 import PASSING_VERDICT, _lenet_architecture_reference
def build_lenet(rng):
    raise NotImplementedError("no model")
def lenet_accuracy(seed):
    return PASSING_VERDICT
def lenet_architecture(seed):
    return _lenet_architecture_reference(seed)''']

#: Exercise 9 done partly right: an honest batch-norm forward and dropout backward, a batch-norm backward that
#: treats the batch statistics as constants, a dropout that calls the package, a residual block without its shortcut.
CHAPTER_9_MIXED = ['''import numpy as np
import cnnbook as cb
from cnnbook.teaching.demos.deeper import branch_backward, branch_forward
def batch_norm_forward(x, gamma, beta, running_mean, running_var, training, momentum=0.1, eps=1e-5):
    m = x.size // x.shape[1]
    mean, var = (x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))) if training else (running_mean, running_var)
    y = gamma[:, None, None] * (x - mean[:, None, None]) / np.sqrt(var[:, None, None] + eps) + beta[:, None, None]
    if training:
        running_mean = (1 - momentum) * running_mean + momentum * mean
        running_var = (1 - momentum) * running_var + momentum * var * m / (m - 1)
    return y.astype(x.dtype), running_mean.copy(), running_var.copy()
def batch_norm_backward(dy, x, gamma, eps=1e-5):
    xhat = (x - x.mean(axis=(0, 2, 3), keepdims=True)) / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps)
    dx = dy * gamma[:, None, None] / np.sqrt(x.var(axis=(0, 2, 3), keepdims=True) + eps)
    return dx, (dy * xhat).sum(axis=(0, 2, 3)), dy.sum(axis=(0, 2, 3))
def dropout_forward(x, p, training, seed):
    return cb.dropout(x, p, training, np.random.default_rng(seed))[0]
def dropout_backward(dy, mask, p):
    return np.where(mask, dy / (1 - p), 0).astype(dy.dtype)
def residual_block_backward(dy, x, w1, w2):
    ds = dy * (branch_forward(x, w1, w2) + x > 0)
    return branch_backward(ds, x, w1, w2)''']
