"""The one way graphflow writes an output file (``-o``): atomically, and only where it may.

Every writer (graph exports, HTML, Cypher scripts, neo4j-admin CSV) goes through
:func:`atomic_output`. The policy, also in docs/pack-format.md ("Limits"):

- ``-`` is standard output.
- The path is a new file in an existing folder, or an existing regular file. A folder, device
  (``/dev/full``, ``/dev/null``), FIFO or socket is refused with a one-line error before
  anything is written: a device is never turned into a file.
- A symbolic link is followed: the file it points to is replaced and the link stays a link
  (as a shell's ``>`` does); what it points to must itself be a regular file or a new path.
- An existing file keeps its permission bits; a new one gets ``0o666`` less the umask.
- The data goes to a temporary file in the target's folder, is flushed to disk, then renamed
  over the target: a reader sees the old file or the new one, never a part. On any error the
  temporary file is removed and the target is left as it was.
"""

from __future__ import annotations

import io
import os
import stat
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Any

from graphflow.errors import GraphflowError


def _cannot(target: Any, exc: OSError | str, where: str) -> GraphflowError:
    why = exc if isinstance(exc, str) else (exc.strerror or str(exc))
    return GraphflowError(f"cannot write {target}: {why}", where=where)


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def output_target(output: str | os.PathLike[str], where: str = "--output") -> tuple[Path, int]:
    """Where ``output`` will really be written (symlinks followed) and the mode it will have;
    a one-line error if it cannot or must not be written."""
    given = Path(output)
    try:
        real = Path(os.path.realpath(given))
        st = os.stat(real)
    except FileNotFoundError:
        parent = real.parent
        if not parent.is_dir():
            raise GraphflowError(f"cannot write {given}: folder {parent} does not exist",
                                 where=where, hint="create the folder first") from None
        return real, _umask_mode()
    except OSError as exc:
        raise _cannot(given, exc, where) from None
    if stat.S_ISDIR(st.st_mode):
        raise GraphflowError(f"cannot write {given}: it is a folder", where=where,
                             hint="give a file name")
    if not stat.S_ISREG(st.st_mode):
        raise GraphflowError(f"cannot write {given}: it is a device, FIFO or socket, not a "
                             "regular file", where=where,
                             hint="give a new path or a regular file, or '-' for stdout")
    return real, stat.S_IMODE(st.st_mode)


@contextmanager
def atomic_output(output: str | os.PathLike[str], *, text: bool = False,
                  where: str = "--output") -> Iterator[IO[Any]]:
    """A file handle (bytes, or UTF-8 text with ``text=True``) whose content replaces
    ``output`` only when the block ends without error; ``-`` is stdout."""
    if str(output) == "-":
        stream: IO[Any] = sys.stdout if text else sys.stdout.buffer
        yield stream
        stream.flush()
        return
    target, mode = output_target(output, where)
    try:
        fd, tmp = tempfile.mkstemp(prefix=".graphflow-", suffix=".tmp", dir=target.parent)
    except OSError as exc:
        raise _cannot(output, exc, where) from None
    try:
        with os.fdopen(fd, "wb") as raw:
            handle: IO[Any] = (io.TextIOWrapper(raw, encoding="utf-8", newline="")
                               if text else raw)
            yield handle
            handle.flush()
            os.fsync(raw.fileno())
            os.fchmod(raw.fileno(), mode)
            if isinstance(handle, io.TextIOWrapper):
                handle.detach()
        os.replace(tmp, target)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise _cannot(output, exc, where) from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_bytes(payload: bytes, output: str | os.PathLike[str],
                where: str = "--output") -> Path | None:
    """Write ``payload`` to ``output`` atomically (returns the path), or to stdout for ``-``
    (returns None)."""
    with atomic_output(output, where=where) as fh:
        fh.write(payload)
    return None if str(output) == "-" else Path(output)
