"""Writing the case list to ``.xlsx`` or ``.csv`` atomically, with comments kept as data.

Why hand-written: the case list holds customers' verbatim comments; cells are written one by one
with openpyxl as strings (never formulas) and CSV text cells are guarded against formula
injection, then the file is renamed over the target so no reader sees half a list.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from cxresearch._toolbox import atomic_path

from ..errors import CXValueError
from .cases import AlertCases

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def write_alerts(cases, path) -> Path:
    """Write the case list to ``.xlsx`` or ``.csv`` atomically (internal use only).

    Parameters
    ----------
    cases : AlertCases or DataFrame
    path : str or Path
        Target; the suffix chooses the format (``.xlsx`` or ``.csv``). The file is written to a
        temporary file in the same folder and renamed over the target, so a reader never sees a
        half-written list and a failure leaves any previous file intact.

    Returns
    -------
    Path
        The written file.

    Raises
    ------
    CXValueError
        An unsupported suffix or a missing folder.

    Notes
    -----
    Comments are data: in ``.xlsx`` every text cell is stored as a string (a comment starting with
    ``=`` is not turned into a formula; characters Excel cannot store are removed); in ``.csv``
    (UTF-8 with BOM, so Excel shows Chinese) text cells starting with ``= + - @`` are prefixed with
    ``'`` against formula injection. The ``.xlsx`` has a second sheet ``about`` listing the rules.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import pandas as pd
    >>> import cxresearch as cx
    >>> responses = pd.DataFrame({
    ...     "customer_id": ["C1", "C2", "C1", "C2"],
    ...     "wave": [2016, 2016, 2017, 2017],
    ...     "branch": [1, 2, 1, 2],
    ...     "overall_sat": [8, 6, 4, 3],
    ...     "comment": ["", "", "配件经常缺货，等了很久", "=1+1 is what I pay twice"],
    ... })
    >>> cases = cx.alerts.alert_cases(
    ...     responses, rules=[{"name": "low_sat", "kind": "low_score", "below": 5,
    ...                        "owner": "service"}])
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     xlsx = cx.alerts.write_alerts(cases, Path(folder) / "alerts_2017.xlsx")
    ...     sheets = list(pd.read_excel(xlsx, sheet_name=None))
    ...     csv = cx.alerts.write_alerts(cases, Path(folder) / "alerts_2017.csv")
    ...     back = pd.read_csv(csv, encoding="utf-8-sig")
    >>> xlsx.name, sheets
    ('alerts_2017.xlsx', ['alerts', 'about'])

    The comment that starts like a formula is written as text (``'`` in the ``.csv``):

    >>> back[["customer", "reasons", "comment"]]
      customer  reasons                    comment
    0       C1  low_sat                配件经常缺货，等了很久
    1       C2  low_sat  '=1+1 is what I pay twice
    """
    frame = cases.cases if isinstance(cases, AlertCases) else cases
    if not isinstance(frame, pd.DataFrame):
        raise CXValueError(
            f"cases must be an AlertCases or a DataFrame; got {type(cases).__name__}"
        )
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix not in (".xlsx", ".csv"):
        raise CXValueError(f"path must end in '.xlsx' or '.csv'; got {str(path)!r}")
    if not path.parent.is_dir():
        raise CXValueError(f"folder of path does not exist: {str(path.parent)!r}")

    def write(tmp: Path) -> None:
        if suffix == ".csv":
            safe = frame.copy()
            for c in safe.columns:
                if safe[c].dtype == object:
                    safe[c] = [
                        "'" + v if isinstance(v, str) and v.startswith(_FORMULA_START) else v
                        for v in safe[c]
                    ]
            safe.to_csv(tmp, index=False, encoding="utf-8-sig")
        else:
            _write_xlsx(frame, cases if isinstance(cases, AlertCases) else None, tmp)

    atomic_path(path, write)
    return path


def _write_xlsx(frame: pd.DataFrame, cases: AlertCases | None, tmp: str) -> None:
    from openpyxl import Workbook
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def put(ws, r, c, v):
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return
        if isinstance(v, np.generic):
            v = v.item()
        if isinstance(v, str):
            v = ILLEGAL_CHARACTERS_RE.sub("", v)
            cell = ws.cell(row=r, column=c)
            cell.value = v
            cell.data_type = "s"  # never a formula, whatever the text starts with
        else:
            ws.cell(row=r, column=c, value=v)

    wb = Workbook()
    ws = wb.active
    ws.title = "alerts"
    for j, col in enumerate(frame.columns, 1):
        put(ws, 1, j, str(col))
    for i, row in enumerate(frame.itertuples(index=False, name=None), 2):
        for j, v in enumerate(row, 1):
            put(ws, i, j, v)
    ws.freeze_panes = "A2"
    about = wb.create_sheet("about")
    put(about, 1, 1, "INTERNAL: customer-level early-warning list; not for client reports.")
    if cases is not None:
        put(about, 2, 1, f"wave: {cases.wave}")
        put(about, 4, 1, "rule")
        put(about, 4, 2, "owner")
        put(about, 4, 3, "condition")
        for i, r in enumerate(cases.rules, 5):
            put(about, i, 1, r.name)
            put(about, i, 2, r.owner)
            put(about, i, 3, r.describe())
    wb.save(tmp)
