"""Checks of the store's parameters (client ids, choices, waves, column names)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence

import numpy as np

from cxresearch.errors import CXValueError

_CLIENT_ID = re.compile(r"^\w[\w.\-]{0,63}$")


def check_client(client) -> str:
    """A client id to read by: any non-empty string."""
    if not isinstance(client, str) or not client.strip():
        raise CXValueError(f"client must be a non-empty string (the client's id); got {client!r}")
    return client


def check_new_client(client) -> str:
    """A client id that data are loaded under: safe as a folder name (reports/<client>/...)."""
    client = check_client(client)
    if not _CLIENT_ID.match(client):
        raise CXValueError(
            "client must be an id of letters, digits, '_', '-' and '.' (not first), at most 64 "
            f"characters, e.g. 'acme' or 'acme-cn'; got {client!r}"
        )
    return client


def check_choice(name: str, value, allowed: Sequence) -> None:
    """Refuse ``value`` unless it is one of ``allowed``."""
    if value not in allowed:
        raise CXValueError(
            f"{name} must be one of {', '.join(repr(a) for a in allowed)}; got {value!r}"
        )


def check_flag(name: str, value) -> None:
    """Refuse ``value`` unless it is True or False."""
    if not isinstance(value, bool):
        raise CXValueError(f"{name} must be True or False; got {value!r}")


def check_scale(scale) -> tuple[float, float]:
    """The employee survey's ``(min, max)`` as floats."""
    try:
        lo, hi = (float(v) for v in scale)
    except (TypeError, ValueError):
        raise CXValueError(
            f"employee_scale must be a (min, max) pair of numbers; got {scale!r}"
        ) from None
    if not lo <= hi:
        raise CXValueError(f"employee_scale must have min <= max; got {scale!r}")
    return lo, hi


def int_list(name: str, values) -> list[int]:
    """Waves or years as a list of ints (one value, or an iterable; whole floats accepted)."""
    if isinstance(values, str | bytes) or not isinstance(values, Iterable):
        values = [values]
    out = []
    for v in values:
        if isinstance(v, bool) or not isinstance(v, int | np.integer):
            if isinstance(v, float | np.floating) and float(v).is_integer():
                v = int(v)
            else:
                raise CXValueError(f"{name} must be integers (e.g. [2023, 2024]); got {v!r}")
        out.append(int(v))
    return out


def str_list(name: str, values) -> list[str]:
    """Column or variable names as a list of strings (one name, or an iterable)."""
    if isinstance(values, str):
        values = [values]
    out = list(values)
    bad = [v for v in out if not isinstance(v, str)]
    if bad:
        raise CXValueError(f"{name} must be column names (strings); got {bad[0]!r}")
    return out
