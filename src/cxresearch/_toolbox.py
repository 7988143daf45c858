"""The package's internal toolbox: argument checks, atomic writes, optional extras, shared constants.

One place for what every floor needs, so the wording of an error and the meaning of a constant are the
same everywhere. It imports only the standard library and :mod:`cxresearch.errors` (the data floor),
so every module may use it.
"""

from __future__ import annotations

import importlib
import numbers
import os
import tempfile
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

from cxresearch.errors import CXValueError

__all__ = [
    "NPS_DETRACTOR_MAX",
    "NPS_PROMOTER_MIN",
    "MissingExtraError",
    "atomic_path",
    "atomic_write",
    "check_alpha",
    "require_extra",
]

#: An NPS answer (0–10) of at least this is a promoter (Reichheld 2003).
NPS_PROMOTER_MIN = 9
#: An NPS answer (0–10) of at most this is a detractor; 7–8 are passives.
NPS_DETRACTOR_MAX = 6


class MissingExtraError(CXValueError, ImportError):
    """An optional feature needs a package that is not installed; the message names the extra."""


def check_alpha(alpha: object, name: str = "alpha") -> float:
    """``alpha`` as a float strictly between 0 and 1, or :class:`CXValueError` in one wording.

    >>> check_alpha(0.05)
    0.05
    >>> check_alpha(1.5)
    Traceback (most recent call last):
    ...
    cxresearch.errors.CXValueError: alpha must be a number strictly between 0 and 1; got 1.5
    """
    ok = isinstance(alpha, numbers.Real) and not isinstance(alpha, bool)
    if not ok or not 0.0 < float(alpha) < 1.0:  # NaN fails the comparison too
        raise CXValueError(f"{name} must be a number strictly between 0 and 1; got {alpha!r}")
    return float(alpha)


def require_extra(module: str, *, extra: str, purpose: str) -> ModuleType:
    """Import an optional dependency or say which extra installs it.

    >>> require_extra("json", extra="none", purpose="reading JSON").__name__
    'json'
    """
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        raise MissingExtraError(
            f"{purpose} needs the optional package {module.split('.')[0]!r}, which is not installed; "
            f"install the '{extra}' extra: pip install 'cxresearch[{extra}]'"
        ) from exc


def atomic_write(path: str | os.PathLike, data: bytes | str, *, encoding: str = "utf-8") -> Path:
    """Write ``data`` to ``path`` so a reader sees the old file or the new one, never half of one.

    The bytes go to a temporary file in the same folder, are flushed to disk, then renamed over
    ``path`` (:func:`os.replace`, atomic on POSIX and Windows).
    """
    payload = data.encode(encoding) if isinstance(data, str) else bytes(data)

    def write(tmp: Path) -> None:
        with open(tmp, "wb") as fh:
            fh.write(payload)
            fh.flush()
            os.fsync(fh.fileno())

    return atomic_path(path, write)


def _umask_mode() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def atomic_path(path: str | os.PathLike, writer: Callable[[Path], object]) -> Path:
    """Let ``writer(tmp)`` write a file at a temporary path, then rename it over ``path``.

    For writers that need a file name (openpyxl, pyarrow, pyreadstat). The temporary file keeps
    ``path``'s suffix so format detection by extension still works; it is removed on failure.
    """
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, name = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=f".tmp{target.suffix}", dir=target.parent
    )
    os.close(fd)
    tmp = Path(name)
    try:
        writer(tmp)
        os.chmod(tmp, _umask_mode())  # mkstemp makes 0600; the result gets the usual mode
        os.replace(tmp, target)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return target
