"""The customer × year panel: input checks, lags by calendar year, and the person-period frame.

Everything the persistence and loyalty analyses need before a model: the checks every public entry
point runs on a panel (a DataFrame, its columns, numeric columns, whole years, one row per customer
and year), the lookup of a customer's value ``k`` calendar years earlier (by key, so a missing year is
never bridged by the previous row), and :func:`customer_years`, which joins the CRM's customer-years
with the survey answers of the same year. Plain pandas and numpy; nothing here is hand-written
statistics.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from cxresearch.errors import CXValueError


def _require_frame(panel: Any, name: str = "panel") -> pd.DataFrame:
    if not isinstance(panel, pd.DataFrame):
        raise CXValueError(f"{name} must be a pandas DataFrame; got {type(panel).__name__}")
    return panel


def _require_columns(panel: pd.DataFrame, columns: dict[str, str | None]) -> None:
    for param, col in columns.items():
        if col is None:
            continue
        if not isinstance(col, str):
            raise CXValueError(f"{param} must be a column name (str); got {col!r}")
        if col not in panel.columns:
            raise CXValueError(
                f"{param}={col!r} is not a column of the panel; columns are {list(panel.columns)}"
            )


def _require_numeric(panel: pd.DataFrame, col: str, param: str) -> None:
    s = panel[col]
    if pd.api.types.is_bool_dtype(s) or pd.api.types.is_numeric_dtype(s):
        return
    bad = s[pd.to_numeric(s, errors="coerce").isna() & s.notna()]
    example = f"; e.g. {bad.iloc[0]!r}" if len(bad) else ""
    raise CXValueError(
        f"{param} column {col!r} must be numeric; got dtype {s.dtype}{example} "
        "(convert labels to numbers first, or declare declared missing codes as missing)"
    )


def _time_as_int(panel: pd.DataFrame, time: str) -> np.ndarray:
    _require_numeric(panel, time, "time")
    t = panel[time].to_numpy(dtype=float)
    if np.isnan(t).any():
        raise CXValueError(f"time column {time!r} has missing values; every row needs a year")
    if not np.all(t == np.round(t)):
        bad = t[t != np.round(t)][0]
        raise CXValueError(f"time column {time!r} must hold whole years; got {bad!r}")
    return t.astype(np.int64)


def _check_duplicates(panel: pd.DataFrame, id: str, time: str) -> None:
    dup = panel.duplicated([id, time], keep=False)
    if dup.any():
        pairs = panel.loc[dup, [id, time]].drop_duplicates().head(5)
        listed = ", ".join(f"({a!r}, {b!r})" for a, b in pairs.itertuples(index=False))
        raise CXValueError(
            f"the panel must have one row per ({id}, {time}); {int(dup.sum())} rows share an "
            f"({id}, {time}) pair, e.g. {listed}"
        )


def _is_number(value: Any) -> bool:
    """A real number (Python or numpy), not a bool."""
    return not isinstance(value, bool) and isinstance(value, (int, float, np.integer, np.floating))


def _check_whole(value: Any, name: str, minimum: int) -> int:
    """``value`` as an int if it is a whole number (not a bool) >= ``minimum``; else CXValueError."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < minimum:
        raise CXValueError(f"{name} must be a whole number >= {minimum}; got {value!r}")
    return int(value)


def _check_min_effect(min_effect: float) -> float:
    if not _is_number(min_effect) or not np.isfinite(min_effect) or min_effect < 0:
        raise CXValueError(f"min_effect must be a finite number >= 0; got {min_effect!r}")
    return float(min_effect)


def _check_alpha(alpha: float) -> float:
    if not isinstance(alpha, (int, float)) or not 0 < float(alpha) < 1:
        raise CXValueError(f"alpha must be a number strictly between 0 and 1; got {alpha!r}")
    return float(alpha)


def _as_list(x: str | list[str] | tuple[str, ...] | None, param: str) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [x]
    if isinstance(x, (list, tuple)) and all(isinstance(c, str) for c in x):
        return list(x)
    raise CXValueError(f"{param} must be a column name or a list of column names; got {x!r}")


def _as_binary(panel: pd.DataFrame, col: str, param: str) -> pd.Series:
    """A bool or 0/1 column as floats 0.0/1.0 (NaN where missing)."""
    s = panel[col]

    def conv(v: Any) -> float | None:
        if v is None or (isinstance(v, float) and np.isnan(v)) or v is pd.NA:
            return np.nan
        if (
            v is True
            or v is False
            or isinstance(v, (int, float, np.integer, np.floating, np.bool_))
        ):
            if v == 1:
                return 1.0
            if v == 0:
                return 0.0
        return None

    values = [conv(v) for v in s.tolist()]
    for v, raw in zip(values, s.tolist(), strict=True):
        if v is None:
            raise CXValueError(f"{param} column {col!r} must be bool or 0/1; got {raw!r}")
    return pd.Series(values, index=s.index, dtype=float)


def _as_flag(panel: pd.DataFrame, col: str, param: str) -> np.ndarray:
    """A bool or 0/1 column as a bool array (missing counts as False)."""
    return _as_binary(panel, col, param).fillna(0).to_numpy() > 0


def _with_columns(table: pd.DataFrame, **columns: Any) -> pd.DataFrame:
    """A copy of a result table with ``columns`` (name=value) appended, in order."""
    out = table.copy()
    for name, value in columns.items():
        out[name] = value
    return out


def _year_lags(ids: np.ndarray, t: np.ndarray, values: np.ndarray, lags: Any) -> list[np.ndarray]:
    """For each k in ``lags``, each row's value of the same id in year ``t - k`` (NaN if absent).

    Looked up by (id, year) key, never by row: a customer's missing year is a missing lag.
    """
    by_year = pd.Series(values, index=pd.MultiIndex.from_arrays([ids, t]))
    return [by_year.reindex(pd.MultiIndex.from_arrays([ids, t - k])).to_numpy() for k in lags]


def customer_years(
    customers: pd.DataFrame,
    responses: pd.DataFrame,
    *,
    columns: str | list[str],
    id: str = "customer_id",
    time: str = "year",
    wave: str = "wave",
    active: str | None = "active",
) -> pd.DataFrame:
    """The CRM's customer-years with the survey answers of the same year (person-period data).

    Parameters
    ----------
    customers : pandas.DataFrame
        CRM panel, one row per customer × year (e.g. ``DemoStudy.customers``).
    responses : pandas.DataFrame
        Survey responses, one row per customer × wave.
    columns : str or list of str
        Survey columns to bring in (e.g. ``"overall_sat"``).
    id, time : str
        Customer id and year columns of ``customers`` (``id`` is also the survey's customer id).
    wave : str
        The survey's year column.
    active : str or None, default "active"
        Bool column of ``customers``: only active customer-years are kept (prospects are not yet
        at risk of churn). None keeps every row.

    Returns
    -------
    pandas.DataFrame
        The (active) rows of ``customers`` sorted by id and time, every CRM column, plus
        ``columns`` (NaN in years the customer did not answer).

    Raises
    ------
    CXValueError
        Missing columns; duplicated (id, year) in either frame; a survey column that clashes with a
        CRM column.

    Examples
    --------
    The demo study's CRM customer-years with each year's survey answers (NaN in a year the
    customer did not answer):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=6)
    >>> panel = cx.persistence.customer_years(study.customers, study.responses,
    ...                                       columns=["overall_sat", "repurchase"])
    >>> len(panel), int(panel["overall_sat"].notna().sum())
    (1995, 1708)
    >>> panel[["customer_id", "year", "churned", "revenue", "overall_sat"]].head(4).round(1)
      customer_id  year  churned   revenue  overall_sat
    0     C000001  2014    False   99937.6          3.0
    1     C000001  2015    False    3000.0          3.0
    2     C000001  2016    False  200175.3          4.0
    3     C000001  2017     True   66840.4          5.0
    """
    customers = _require_frame(customers, "customers")
    responses = _require_frame(responses, "responses")
    cols = _as_list(columns, "columns")
    _require_columns(customers, {"id": id, "time": time, "active": active})
    _require_columns(responses, {"id": id, "wave": wave})
    for c in cols:
        _require_columns(responses, {"columns": c})
        if c in customers.columns:
            raise CXValueError(f"columns: {c!r} is both a survey and a CRM column; rename one")
    _check_duplicates(customers, id, time)
    _check_duplicates(responses, id, wave)
    crm = customers
    if active is not None:
        crm = crm.loc[_as_flag(crm, active, "active")]
    survey = responses[[id, wave, *cols]].rename(columns={wave: time})
    survey[time] = _time_as_int(survey, time)
    crm = crm.assign(**{time: _time_as_int(crm, time)})
    out = crm.merge(survey, on=[id, time], how="left", validate="one_to_one")
    return out.sort_values([id, time], kind="mergesort").reset_index(drop=True)
