"""A Jupyter kernelspec for the interpreter running cxresearch.

papermill starts notebooks in a named kernel. The name ``python3`` may resolve to another
interpreter (a user-wide kernelspec), so reports use a kernelspec whose ``argv`` is this process's
own ``sys.executable``. It is written into the environment's prefix (``<prefix>/share/jupyter/kernels``,
the equivalent of ``ipykernel install --sys-prefix``) or, when that is not writable, into a private
folder that is put on ``JUPYTER_PATH`` for this process. Nothing is installed user-wide.
"""

from __future__ import annotations

import hashlib
import json
import os
import sys
import tempfile
from pathlib import Path

from cxresearch._toolbox import atomic_write

__all__ = ["KERNEL_NAME", "ensure_kernel"]

#: Base name of the kernelspec (a short hash of the interpreter path is appended).
KERNEL_NAME = "cxresearch"


def _spec() -> dict:
    return {
        "argv": [
            sys.executable,
            "-m",
            "ipykernel_launcher",
            "-f",
            "{connection_file}",
            "--IPKernelApp.log_level=ERROR",
        ],
        "display_name": f"cxresearch (Python {sys.version_info.major}.{sys.version_info.minor})",
        "language": "python",
        "metadata": {"debugger": False},
        "env": {
            "PYDEVD_DISABLE_FILE_VALIDATION": "1",
            "MPLBACKEND": "module://matplotlib_inline.backend_inline",
        },
    }


def _write_spec(folder: Path, spec: dict) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / "kernel.json"
    if target.is_file():
        try:
            if json.loads(target.read_text(encoding="utf-8")) == spec:
                return
        except (OSError, ValueError):
            pass
    atomic_write(target, json.dumps(spec, indent=1))


def ensure_kernel() -> str:
    """Make sure a kernelspec for this interpreter exists; return its name.

    Returns
    -------
    str
        Kernel name to pass to papermill (``cxresearch-<hash>``).

    Notes
    -----
    Idempotent and safe under concurrent calls (the spec file is replaced atomically).
    """
    digest = hashlib.sha1(sys.executable.encode("utf-8")).hexdigest()[:8]
    name = f"{KERNEL_NAME}-{digest}"
    spec = _spec()
    prefix_dir = Path(sys.prefix) / "share" / "jupyter" / "kernels" / name
    try:
        _write_spec(prefix_dir, spec)
        return name
    except OSError:
        pass
    private = (
        Path(tempfile.gettempdir())
        / f"cxresearch-jupyter-{os.getuid() if hasattr(os, 'getuid') else 0}"
    )
    _write_spec(private / "kernels" / name, spec)
    paths = os.environ.get("JUPYTER_PATH", "")
    if str(private) not in paths.split(os.pathsep):
        os.environ["JUPYTER_PATH"] = os.pathsep.join(p for p in (str(private), paths) if p)
    return name
