"""How much wlid reads from a file it is given, and how deeply nested JSON it accepts.

Every file wlid reads that a user (or anything else) can hand it goes through `read_bounded`: the
spec, deployment outputs, the manifest in OUT, the files `wlid validate` reads, a regions file. It
reads at most `limit + 1` bytes, so `/dev/zero`, a huge file or an endless pipe costs at most the
limit, and a FIFO without a writer does not block. The limits are far above what real estates need
(see docs/safety.md for the table and the sizes they were chosen from); this module imports nothing
of ours.
"""

from __future__ import annotations

import json
import os
import stat
from typing import Any

MiB = 1024 * 1024

# A spec of 10,000 workloads (benchmarks/generate.py) is 2.6 MB; the loader's event budget stops a
# spec of some 20,000 workloads anyway.
SPEC_MAX_BYTES = 32 * MiB
# The outputs of the 10,000-workload benchmark's deployment (500 identities) are about 110 kB.
OUTPUTS_MAX_BYTES = 32 * MiB
# The manifest of the 10,000-workload tree (1,522 files) is 237 kB.
MANIFEST_MAX_BYTES = 32 * MiB
# The largest file of the 10,000-workload tree is 835 kB (OUT/README.md); the largest parsed one 506 kB.
TREE_FILE_MAX_BYTES = 32 * MiB
REGIONS_MAX_BYTES = 1 * MiB
# Rendered JSON nests 12 levels deep at most (an ARM template), rendered YAML 8.
JSON_MAX_DEPTH = 64
# YAML, read from libyaml's events by the spec loader (spec/load.py) and by `wlid validate`
# (validate/yaml_stream.py): nesting levels (a spec needs about ten), aliases, and the values all
# aliases together may stand for (no billion-laughs expansion).
YAML_MAX_DEPTH = 64
YAML_ALIAS_BUDGET = 100
YAML_EXPANSION_BUDGET = 10_000


class InputError(ValueError):
    """A file cannot be read within the limits; the message says why, without the file's name."""


def read_bounded(path: str | os.PathLike[str], limit: int, what: str = "the file") -> bytes:
    """The bytes of `path`, at most `limit` of them; InputError when it holds more or cannot be read.

    Opened without blocking (a FIFO nobody writes to reads as empty instead of waiting), then read
    in blocking mode from whatever the path is: a regular file, a pipe (`<(...)`, `/dev/stdin`) or a
    device. A folder is refused with a message.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK | os.O_CLOEXEC)
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}") from None
    try:
        mode = os.fstat(fd).st_mode
        if stat.S_ISDIR(mode):
            raise InputError(f"cannot read {what}: it is a folder")
        if stat.S_ISREG(mode) and os.fstat(fd).st_size > limit:
            raise InputError(_too_large(what, limit))
        os.set_blocking(fd, True)  # a pipe with a writer is read to its end, as `cat` would
        return _read_up_to(fd, limit, what)
    except OSError as exc:
        raise InputError(f"cannot read {what}: {exc.strerror or exc}") from None
    finally:
        os.close(fd)


def read_stream_bounded(stream: Any, limit: int, what: str = "standard input") -> bytes:
    """At most `limit` bytes of a binary stream (standard input); InputError when it holds more."""
    data = stream.read(limit + 1)
    if len(data) > limit:
        raise InputError(_too_large(what, limit))
    return bytes(data)


def _read_up_to(fd: int, limit: int, what: str) -> bytes:
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = os.read(fd, min(limit + 1 - size, 4 * MiB))
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise InputError(_too_large(what, limit))
    return b"".join(chunks)


def _too_large(what: str, limit: int) -> str:
    size = f"{limit // MiB} MiB" if limit % MiB == 0 else f"{limit:,} bytes"
    return f"{what} is larger than {size}, the most wlid reads"


def json_depth_exceeds(value: Any, limit: int = JSON_MAX_DEPTH) -> bool:
    """True when JSON-like `value` nests lists and objects more than `limit` levels deep. Iterative."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > limit:
            return True
        children = item.values() if type(item) is dict else item if type(item) is list else ()
        stack.extend((child, depth + 1) for child in children if type(child) in (dict, list))
    return False


def load_json(text: str, limit: int = JSON_MAX_DEPTH) -> Any:
    """`json.loads` that refuses nesting deeper than `limit` (InputError) instead of recursing into it.

    Other mistakes raise json.JSONDecodeError as json.loads does.
    """
    try:
        value = json.loads(text)
    except RecursionError:
        raise InputError(f"the JSON nests deeper than {limit} levels") from None
    if type(value) in (dict, list) and json_depth_exceeds(value, limit):
        raise InputError(f"the JSON nests deeper than {limit} levels")
    return value
