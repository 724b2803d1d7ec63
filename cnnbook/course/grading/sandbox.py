"""The grading sandbox: the process that runs submitted notebooks and calls their functions.

The grader (:mod:`cnnbook.course.grading.pool`) starts one sandbox per job slot as
``python -m cnnbook.course.grading.sandbox``, with a scrubbed environment, in an empty folder, importing
a private copy of the package. Nothing submitted ever runs in the sandbox process itself: it imports
NumPy, matplotlib, IPython and cnnbook once, then serves jobs. For each job it forks a *session*
(its own process group, in its own empty working folder, with standard input, output and error
pointing at ``/dev/null``) and drives it through a socket.

**Checkpoints instead of replays.** A session process holds the namespace after the cells run so
far. To run the next cell it forks a child, which runs the cell while the parent waits. A child
that finishes, even with an exception (as in Jupyter), becomes the new checkpoint and the old one
is killed. A child that exceeds its time, hangs without answering, or dies (``os._exit``, a
segfault) is killed, and the old checkpoint carries on with the next cell. So a fatal cell costs
nothing but itself, nothing is ever run twice, and a time limit is a hard limit (``SIGKILL``
cannot be caught, unlike the ``KeyboardInterrupt`` of a Jupyter interrupt).

**Graded calls** run in a child of the final checkpoint, one child per question, so questions
cannot disturb each other. The child re-runs the code the exercise gives (so a rewritten wrapper
counts for nothing), calls the learner's function on each case under a
:class:`~cnnbook.course.checks.calling.Guard`, and sends back, as JSON, what it returned and what its
arguments looked like afterwards. Everything is judged in the grader's own process.

At the end of a job the session's process group is killed, and so is any process a submission
started that escaped it: the sandbox is a *child subreaper* (Linux), so such processes become its
children once their parents are gone.

Protocol with the grader, on the sandbox's standard input and output: frames
(:mod:`cnnbook.course.grading.wire`); the grader sends pickled jobs, the sandbox answers in JSON.
"""

from __future__ import annotations

import ctypes
import os
import pickle
import shutil
import signal
import socket
import sys
import tempfile
import time

from . import wire

# Bound now, before any submission runs (see wire.py).
_pickle_loads, _fork, _waitpid, _pipe = pickle.loads, os.fork, os.waitpid, os.pipe

#: Seconds a checkpoint has to report back after its child ended.
RESUME_TIMEOUT = 10.0
#: The largest result (in bytes of JSON) one question may send back.
RESULT_LIMIT = 64 * 1024 * 1024
PR_SET_CHILD_SUBREAPER = 36


# --- the sandbox process: serves jobs, never runs submitted code ---------------------------------

def main() -> None:
    requests, replies = os.dup(0), os.dup(1)
    _point_at_devnull(0)
    os.dup2(2, 1)                      # a stray print must not corrupt the protocol
    _become_subreaper()
    _import_what_notebooks_use()
    import cnnbook

    wire.send_json(replies, {"kind": "ready", "package": os.path.dirname(cnnbook.__file__), "pid": os.getpid()})
    while True:
        try:
            job = pickle.loads(wire.receive(requests))
        except wire.WireError:
            return                      # the grader has gone
        reply = run_job(job, private_fds=(requests, replies))
        wire.send_json(replies, reply)


#: The grader's own copies of :mod:`cnnbook.course.checks.calling` and :mod:`cnnbook.course.checks.policy`, loaded
#: before any submission runs and never registered in ``sys.modules``: a notebook that patches
#: ``cnnbook.course.checks.calling.call_safely`` changes the module learners see, not these.
_PRIVATE: dict = {}


def _import_what_notebooks_use() -> None:
    """Everything a session needs, imported once here so that each fork starts warm."""
    import importlib.util

    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    from IPython.core.interactiveshell import InteractiveShell  # noqa: F401

    import cnnbook
    import cnnbook.course.checks  # noqa: F401

    _warm_up_kernels()
    for name in ("calling", "policy"):
        path = os.path.join(os.path.dirname(cnnbook.__file__), "course", "checks", f"{name}.py")
        spec = importlib.util.spec_from_file_location(f"cnnbook_grader_{name}", path)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        _PRIVATE[name] = module


def _warm_up_kernels() -> None:
    """Load each compiled kernel once, here, so that every session forked later starts with it in memory."""
    import numpy as np

    from cnnbook.warm import warm_kernels

    for dtype in (np.float64, np.float32):
        warm_kernels(dtype)


def _become_subreaper() -> None:
    try:
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0)
    except (OSError, AttributeError):   # not Linux: the process-group kill still applies
        pass


def _point_at_devnull(fd: int) -> None:
    null = os.open(os.devnull, os.O_RDWR)
    os.dup2(null, fd)
    os.close(null)


def run_job(job: dict, private_fds: tuple = ()) -> dict:
    """Run one submission (``job``: see :func:`cnnbook.course.grading.pool.make_job`); return what happened."""
    workdir = tempfile.mkdtemp(prefix="cnnbook-session-")
    ours, theirs = socket.socketpair()
    session = os.fork()
    if session == 0:                    # the session: from here on, submitted code may run
        ours.close()
        for fd in private_fds:
            os.close(fd)
        _start_session(theirs.detach(), workdir)
    theirs.close()
    driver = Driver(ours.fileno(), session)
    try:
        reply = driver.run(job)
    finally:
        _kill_everything(session)
        ours.close()
        shutil.rmtree(workdir, ignore_errors=True)
    return reply


def _kill_everything(session: int) -> None:
    """Kill the session's process group, then every process that became our child, and reap them all."""
    try:
        os.killpg(session, signal.SIGKILL)
    except OSError:
        pass
    for _ in range(50):
        children = _children_of(os.getpid())
        for pid in children:
            _kill(pid)
        _reap()
        if not children:
            return
        time.sleep(0.01)


def _children_of(parent: int) -> list[int]:
    children = []
    for entry in os.listdir("/proc") if os.path.isdir("/proc") else []:
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat", "rb") as stat:
                    fields = stat.read().rsplit(b")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == parent:
                children.append(int(entry))
    return children


def _reap() -> None:
    while True:
        try:
            pid, _ = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return


class Driver:
    """The sandbox's side of one session: sends commands, enforces every time limit, kills what overruns."""

    def __init__(self, channel: int, session: int):
        self.channel = channel
        self.checkpoint = session       # the process that holds the namespace
        self.alive = True

    def run(self, job: dict) -> dict:
        cells = self._run_cells(job["cells"], job["cell_timeout"], time.monotonic() + job["cells_timeout"])
        questions = {q["name"]: self._run_question(q) for q in job["questions"]}
        return {"kind": "result", "cells": cells, "questions": questions}

    def _run_cells(self, sources: list[str], cell_timeout: float, deadline: float) -> list[dict]:
        report = []
        for source in sources:
            if not self.alive:
                report.append({"status": "skipped", "message": "the session had died"})
                continue
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                report.append({"status": "skipped", "message": "the notebook's time limit was reached"})
                continue
            limit = min(cell_timeout, remaining)
            reply = self._command({"kind": "cell", "source": source}, limit, becomes_checkpoint=True)
            if reply.get("status") == "timeout" and limit < cell_timeout:
                reply["message"] = f"stopped at the notebook's time limit ({reply['message']})"
            report.append(reply)
        return report

    def _run_question(self, question: dict) -> dict:
        if not self.alive:
            return {"status": "died", "message": "the session had died before the checks"}
        return self._command(question, question["timeout"], becomes_checkpoint=False)

    def _command(self, command: dict, limit: float, becomes_checkpoint: bool) -> dict:
        """Have the checkpoint fork a child for ``command``; wait up to ``limit`` seconds for its answer."""
        try:
            wire.send(self.channel, pickle.dumps(command))
            forked = self._receive(time.monotonic() + RESUME_TIMEOUT, sender=self.checkpoint)
            child = int(forked["child"])
        except (wire.WireError, OSError, KeyError, TypeError, ValueError) as error:
            self.alive = False
            return {"status": "died", "message": f"the session stopped answering ({error})"}
        try:
            reply = self._receive(time.monotonic() + limit, sender=(child, self.checkpoint), size_limit=RESULT_LIMIT)
            if reply["pid"] == self.checkpoint:          # the checkpoint resumed: its child died without a word
                return {"status": "died", "message": "the process died"}
        except wire.WireError as error:
            _kill(child)
            self._resume()
            if isinstance(error, wire.FrameTooLarge):
                return {"status": "error", "message": f"its results were too large ({error})"}
            if "timed out" in str(error):
                return {"status": "timeout", "message": f"took longer than {limit:g} s"}
            return {"status": "died", "message": f"the process died ({error})"}
        finally:
            _reap()
        if becomes_checkpoint:
            _kill(self.checkpoint)
            self.checkpoint = child
        else:
            _kill(child)
            self._resume()
        return reply

    def _resume(self) -> None:
        """After its child ended, the checkpoint says it is listening again (or is dead)."""
        try:
            self._receive(time.monotonic() + RESUME_TIMEOUT, sender=self.checkpoint, kind="resumed")
        except wire.WireError:
            self.alive = False

    def _receive(self, deadline: float, sender, size_limit: int = 1 << 16, kind: str | None = None) -> dict:
        """The next message from ``sender`` (a pid, or a tuple of pids: a child and its checkpoint, whose
        ``resumed`` says the child died); messages from processes we have given up on are skipped."""
        senders = sender if isinstance(sender, tuple) else (sender,)
        while True:
            message = wire.receive_json(self.channel, deadline, size_limit)
            pid = message.get("pid")
            if pid in senders[1:] and message.get("kind") == "resumed":
                return message
            if pid == senders[0] and (kind is None or message.get("kind") == kind):
                return message


def _kill(pid: int) -> None:
    try:
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass


# --- the session: this side runs submitted code ---------------------------------------------------

def _start_session(channel: int, workdir: str) -> None:
    """Become the first checkpoint: own process group, own folder, no inherited output; never returns."""
    try:
        os.setsid()
        os.chdir(workdir)
        for fd in (0, 1, 2):
            _point_at_devnull(fd)
        shell = _make_shell()
        _serve(channel, shell)
    finally:
        os._exit(0)


def _make_shell():
    """An IPython shell, so that magics and ``display`` behave as in Jupyter, without history or colours."""
    from IPython.core.interactiveshell import InteractiveShell
    from traitlets.config import Config

    config = Config()
    config.HistoryManager.enabled = False
    config.InteractiveShell.colors = "NoColor"
    config.InteractiveShell.xmode = "Plain"
    return InteractiveShell.instance(config=config)


def _serve(channel: int, shell) -> None:
    """The checkpoint loop: for each command, fork a child to do it and wait for the child to end."""
    while True:
        command = _pickle_loads(wire.receive(channel))
        go_read, go_write = _pipe()
        child = _fork()
        if child == 0:
            os.close(go_write)
            os.read(go_read, 1)         # wait until the driver knows our pid
            os.close(go_read)
            if command["kind"] == "cell":
                _reply(channel, _run_cell(shell, command["source"]))
                continue                # this child is now the checkpoint
            _reply(channel, _run_calls(shell.user_ns, command))
            os._exit(0)
        os.close(go_read)
        _reply(channel, {"kind": "forked", "child": child})
        os.write(go_write, b"g")
        os.close(go_write)
        _waitpid(child, 0)            # returns when the child dies or is killed; a successor kills us instead
        _reply(channel, {"kind": "resumed"})


def _reply(channel: int, message: dict) -> None:
    message["pid"] = os.getpid()
    wire.send_json(channel, message)


def _run_cell(shell, source: str) -> dict:
    describe_error = _PRIVATE["calling"].describe_error
    result = shell.run_cell(source, store_history=False, silent=False)
    error = result.error_before_exec or result.error_in_exec
    if error is None:
        return {"kind": "cell", "status": "ok", "message": ""}
    status = "not implemented" if isinstance(error, NotImplementedError) else "error"
    return {"kind": "cell", "status": status, "message": describe_error(error)[:500]}


def _run_calls(namespace: dict, question: dict) -> dict:
    """Run the given code again, then call the learner's function on every case (see the module text)."""
    import cnnbook

    calling, policy = _PRIVATE["calling"], _PRIVATE["policy"]
    call_safely, describe_error, encode = calling.call_safely, calling.describe_error, calling.encode
    if question["given"]:
        try:
            exec(compile(question["given"], "<the exercise's given code>", "exec"), namespace)
        except Exception as error:  # noqa: BLE001 (reported: the learner's code broke the given code)
            return {"kind": "calls", "status": "error", "message": f"the given code failed: {describe_error(error)}"}
    function = namespace.get(question["function"])
    if not callable(function):
        return {"kind": "calls", "status": "missing", "message": f"no function named {question['function']}"}
    table = policy.forbidden_table(question["forbidden"], os.path.dirname(cnnbook.__file__))
    outcomes = []
    for args, kwargs in question["cases"]:
        outcome = call_safely(function, args, kwargs, table)
        args_after, kwargs_after = outcome.arguments
        outcomes.append({"returned": _encode(encode, outcome.returned), "error": outcome.error[:500],
                         "not_implemented": outcome.not_implemented, "delegated": list(outcome.delegated),
                         "arguments": _encode(encode, [list(args_after), list(kwargs_after.items())])})
    return {"kind": "calls", "status": "ok", "outcomes": outcomes}


def _encode(encode, value):
    try:
        return encode(value)
    except RecursionError:
        return {"unsupported": "a structure nested too deeply"}


if __name__ == "__main__":
    sys.exit(main())
