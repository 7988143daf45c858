"""Exceptions and warnings shared by the whole package.

Every public entry point validates its input and raises one of these with a message that names the
file, row, column or parameter at fault, shows the value, and says what is allowed.
"""

from __future__ import annotations

from dataclasses import dataclass


class CXError(Exception):
    """Base class of every error cxresearch raises on purpose."""


class CXValueError(CXError, ValueError):
    """A parameter or a column has a value the function cannot use."""


@dataclass(frozen=True)
class Problem:
    """One problem found in an input file.

    ``row`` is the row number as the user sees it in the file (a spreadsheet's row number: the header
    is row 1, the first data row is row 2); ``None`` for file-level problems.
    """

    file: str
    row: int | None
    column: str | None
    value: object
    expected: str

    def __str__(self) -> str:
        where = [self.file]
        if self.row is not None:
            where.append(f"row {self.row}")
        if self.column is not None:
            where.append(f"column {self.column!r}")
        value = "" if self.value is None else f": got {self.value!r}"
        return f"{', '.join(where)}{value}; expected {self.expected}"


class DataValidationError(CXError, ValueError):
    """One or more input files do not match the codebook.

    Carries every problem found (``.problems``); the message lists at most ``limit`` of them and
    counts the rest.
    """

    def __init__(self, problems: list[Problem], *, limit: int = 50, header: str | None = None):
        self.problems = list(problems)
        self.limit = limit
        n = len(self.problems)
        head = header or f"{n} problem{'s' if n != 1 else ''} found"
        lines = [head + ":"]
        lines += [f"  - {p}" for p in self.problems[:limit]]
        if n > limit:
            lines.append(f"  ... and {n - limit} more problem{'s' if n - limit != 1 else ''}")
        super().__init__("\n".join(lines))


class CXWarning(UserWarning):
    """A data-quality condition that still allows a result (shown in the validity appendix)."""


class SmallBaseWarning(CXWarning):
    """An estimate rests on fewer respondents than the study's reporting minimum."""


class NotEstimableWarning(CXWarning):
    """A quantity could not be estimated from these data; the result says so instead of a number."""
