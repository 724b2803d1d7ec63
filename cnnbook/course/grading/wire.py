"""Frames on a pipe or socket: a 4-byte big-endian length, then that many bytes.

The grader and its sandboxes talk in frames. What the grader sends is trusted (pickled jobs); what
comes back is only ever parsed as JSON, and every read has a deadline and a size limit, so a
submission that writes garbage, floods, or goes quiet cannot wedge or crash the grader.
"""

from __future__ import annotations

import json
import os
import select
import struct
import time

HEADER = struct.Struct(">I")
MAX_FRAME = 256 * 1024 * 1024

# Bound now: a submission that patches json.dumps or os.write in its session must not break the protocol.
_dumps, _loads, _write, _read, _select = json.dumps, json.loads, os.write, os.read, select.select


class WireError(RuntimeError):
    """The other end closed, sent a malformed frame, or said nothing before the deadline."""


class FrameTooLarge(WireError):
    """A frame longer than the reader accepts (it was read and dropped, so the next frame can follow)."""


def send(fd: int, body: bytes) -> None:
    """Write one frame to the file descriptor ``fd``."""
    data = memoryview(HEADER.pack(len(body)) + body)
    while data:
        written = _write(fd, data)
        data = data[written:]


def send_json(fd: int, message: dict) -> None:
    send(fd, _dumps(message).encode("utf-8"))


def receive(fd: int, deadline: float | None = None, limit: int = MAX_FRAME) -> bytes:
    """Read one frame from ``fd``; ``deadline`` is a ``time.monotonic()`` time (``None``: wait for ever)."""
    (length,) = HEADER.unpack(_read_exactly(fd, HEADER.size, deadline))
    if length > limit:
        _discard(fd, length, deadline)          # keep the stream in step for the next frame
        raise FrameTooLarge(f"a frame of {length} bytes, more than the limit of {limit}")
    return _read_exactly(fd, length, deadline)


def receive_json(fd: int, deadline: float | None = None, limit: int = MAX_FRAME) -> dict:
    """One frame parsed as a JSON object (anything else is a :class:`WireError`)."""
    body = receive(fd, deadline, limit)
    try:
        message = _loads(body.decode("utf-8", errors="replace"))
    except ValueError as error:
        raise WireError(f"a frame that is not JSON ({error})") from None
    if not isinstance(message, dict):
        raise WireError(f"a JSON {type(message).__name__} where an object was expected")
    return message


def _discard(fd: int, count: int, deadline: float | None) -> None:
    while count:
        count -= len(_read_exactly(fd, min(count, 1 << 20), deadline))


def _read_exactly(fd: int, count: int, deadline: float | None) -> bytes:
    chunks, missing = [], count
    while missing:
        wait = None if deadline is None else max(0.0, deadline - time.monotonic())
        ready, _, _ = _select([fd], [], [], wait)
        if not ready:
            raise WireError("timed out")
        chunk = _read(fd, min(missing, 1 << 20))
        if not chunk:
            raise WireError("the other end closed the connection")
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)
