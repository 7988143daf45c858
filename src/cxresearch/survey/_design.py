"""Design-based variance core: the survey design, domains and Taylor linearisation.

Every estimator in :mod:`cxresearch.survey` reduces to *influence values* ``z_i`` (one per row, per
domain) whose design-based variance is computed here exactly as R's ``survey`` package does it
(``svyrecvar`` / ``onestage``) for

* weights only (``svydesign(ids=~1, weights=~w)``): a with-replacement design,
  ``V = n/(n-1) * sum_i (z_i - zbar)^2``;
* stratified designs (``strata=``): the same within each stratum ``h``, summed over strata;
* one-stage cluster designs (``cluster=``): the influence values are first summed within each PSU;
* a finite-population correction (``fpc=``): each stratum's variance is multiplied by ``1 - f_h``,
  ``f_h`` the sampling fraction of first-stage units in stratum ``h``.

Domains (``by`` levels, and rows whose item is missing) are handled as R does after subsetting a
design: influence values are zero outside the domain but the zero rows still count in ``n_h``.

Why hand-written rather than ``samplics``/``svy``: the estimators need only group sums over
integer domain codes (``np.bincount`` here, a fused numba pass in :mod:`cxresearch.survey._fast`);
the project's design review found those libraries match R but run 2-10x slower than plain numpy on
the 1,000,000-row benchmark. Every number is tested against R (``tests/reference/survey``).

References
----------
Lumley, T. (2004). Analysis of complex survey samples. *Journal of Statistical Software*, 9(8).
https://doi.org/10.18637/jss.v009.i08

Wolter, K. M. (2007). *Introduction to Variance Estimation* (2nd ed.). Springer.
https://doi.org/10.1007/978-0-387-35099-8
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import sparse, stats

from cxresearch._toolbox import check_alpha as _check_alpha
from cxresearch.errors import CXValueError, SmallBaseWarning

LONELY_PSU = ("fail", "remove", "adjust")


# --------------------------------------------------------------------------------------------
# small validators
# --------------------------------------------------------------------------------------------


def check_frame(data: object) -> pd.DataFrame:
    if not isinstance(data, pd.DataFrame):
        raise CXValueError(f"data must be a pandas DataFrame; got {type(data).__name__}")
    if len(data) == 0:
        raise CXValueError("data has no rows")
    return data


def as_list(value: str | Sequence[str] | None, name: str) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    try:
        out = list(value)
    except TypeError:
        raise CXValueError(
            f"{name} must be a column name or a list of column names; got {value!r}"
        ) from None
    for v in out:
        if not isinstance(v, str):
            raise CXValueError(f"{name} must hold column names (str); got {v!r}")
    return out


def check_columns(data: pd.DataFrame, columns: Sequence[str], name: str) -> None:
    missing = [c for c in columns if c not in data.columns]
    if missing:
        shown = ", ".join(repr(c) for c in list(data.columns)[:30])
        more = " ..." if data.shape[1] > 30 else ""
        raise CXValueError(
            f"{name}: column {missing[0]!r} is not in the data; available columns: {shown}{more}"
        )


def check_column(data: pd.DataFrame, value: object, name: str) -> str:
    """Check that ``value`` is one column name (``str``) present in ``data``; return it."""
    if not isinstance(value, str):
        raise CXValueError(f"{name} must be one column name; got {value!r}")
    check_columns(data, [value], name)
    return value


def check_alpha(alpha: float, name: str = "alpha") -> float:
    if isinstance(alpha, str):
        raise CXValueError(f"{name} must be a number strictly between 0 and 1; got {alpha!r}")
    try:  # numpy scalars and other real numbers
        alpha = float(alpha) if not isinstance(alpha, bool) else alpha
    except (TypeError, ValueError):
        pass
    return _check_alpha(alpha, name)


def check_base_rules(min_base: int, anonymity_min: int) -> tuple[int, int]:
    for name, v in (("min_base", min_base), ("anonymity_min", anonymity_min)):
        if isinstance(v, bool) or not isinstance(v, int | np.integer) or v < 0:
            raise CXValueError(f"{name} must be a non-negative integer; got {v!r}")
    if anonymity_min > min_base:
        raise CXValueError(f"anonymity_min ({anonymity_min}) must not exceed min_base ({min_base})")
    return int(min_base), int(anonymity_min)


def sorted_levels(values) -> list:
    """The distinct non-missing values, sorted when they can be (else in order of appearance)."""
    lv = list(pd.unique(pd.Series(values).dropna()))
    try:
        return sorted(lv)
    except TypeError:
        return lv


def numeric_column(data: pd.DataFrame, column: str, *, role: str = "score") -> np.ndarray:
    """Return ``data[column]`` as float64 (NaN = missing) or raise naming the bad value."""
    s = data[column]
    if pd.api.types.is_bool_dtype(s):
        return s.to_numpy(dtype=float)
    if isinstance(s.dtype, pd.CategoricalDtype) or not (
        pd.api.types.is_numeric_dtype(s) or s.dtype == object
    ):
        raise CXValueError(f"{role} column {column!r} must be numeric; got dtype {s.dtype}")
    if pd.api.types.is_numeric_dtype(s):
        x = s.to_numpy(dtype=float, na_value=np.nan)
    else:
        conv = pd.to_numeric(s, errors="coerce")
        bad = conv.isna() & s.notna()
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise CXValueError(
                f"{role} column {column!r} must be numeric; got {s.iloc[i]!r} at row {s.index[i]!r}"
            )
        x = conv.to_numpy(dtype=float, na_value=np.nan)
    inf = np.isinf(x)
    if inf.any():
        i = int(np.flatnonzero(inf)[0])
        raise CXValueError(
            f"{role} column {column!r} must be finite; got {x[i]!r} at row {s.index[i]!r}"
        )
    return x


def check_scale(
    x: np.ndarray, column: str, scale: tuple[float, float] | None, index: pd.Index
) -> None:
    """Raise if a non-missing value of ``x`` lies outside ``scale``."""
    if scale is None:
        return
    lo, hi = scale
    bad = (x < lo) | (x > hi)
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        raise CXValueError(
            f"score column {column!r} has value {x[i]:g} at row {index[i]!r}, outside its scale "
            f"[{lo:g}, {hi:g}]; recode it or declare it a missing code"
        )


#: ``DataFrame.attrs`` key under which store reads carry each column's codebook scale
#: (``{column: (min, max)}``; see docs/CONTRACT.md section 4)
SCALES_ATTR = "cx_scales"


def frame_scale(data: object, column: str) -> tuple[float, float] | None:
    """The codebook scale a store read recorded for ``column`` in ``data.attrs`` (None if none)."""
    attrs = getattr(data, "attrs", None) or {}
    sc = (attrs.get(SCALES_ATTR) or {}).get(column)
    if sc is None:
        return None
    try:
        lo, hi = float(sc[0]), float(sc[1])
    except (TypeError, ValueError, IndexError):
        return None
    return (lo, hi) if lo < hi else None


def resolve_scale(
    column: str,
    scale: tuple[float, float] | None,
    codebook: object | None,
    data: object | None = None,
) -> tuple[float, float] | None:
    """Scale bounds from an explicit ``scale=``, a codebook (object or YAML-shaped dict), or else
    the codebook scale a store read carried in ``data.attrs`` (:data:`SCALES_ATTR`)."""
    if scale is not None:
        try:
            lo, hi = (float(scale[0]), float(scale[1]))
        except (TypeError, ValueError, IndexError):
            raise CXValueError(f"scale must be a pair (min, max); got {scale!r}") from None
        if not lo < hi:
            raise CXValueError(f"scale must satisfy min < max; got {scale!r}")
        return lo, hi
    if codebook is None:
        return None if data is None else frame_scale(data, column)
    var = None
    if isinstance(codebook, dict):
        for entry in codebook.get("variables", []):
            if entry.get("name") == column:
                var = entry
                break
        if var is None:
            raise CXValueError(f"codebook has no variable {column!r}")
        if var.get("kind") == "nps":
            return 0.0, 10.0
        if var.get("min") is None or var.get("max") is None:
            raise CXValueError(f"codebook variable {column!r} has no scale (min/max)")
        return float(var["min"]), float(var["max"])
    get = getattr(codebook, "get", None)
    if get is None:
        raise CXValueError(
            f"codebook must be a cxresearch Codebook or a codebook dict; got {type(codebook).__name__}"
        )
    try:
        var = get(column)
    except Exception as exc:  # the codebook's own error names the variable
        raise CXValueError(f"codebook has no variable {column!r}: {exc}") from exc
    if var is None:
        raise CXValueError(f"codebook has no variable {column!r}")
    sc = getattr(var, "scale", None)
    if sc is None and getattr(var, "kind", None) == "nps":
        sc = (0, 10)
    if sc is None:
        raise CXValueError(f"codebook variable {column!r} has no scale (min/max)")
    return float(sc[0]), float(sc[1])


# --------------------------------------------------------------------------------------------
# the design
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Design:
    """A one-stage (optionally stratified, clustered, finite-population) sampling design.

    Internal: built by :func:`build_design`; attributes are numpy arrays over the rows of the data.
    """

    w: np.ndarray  # sampling weights, n
    stratum: np.ndarray  # stratum code per row, 0..H-1
    psu: np.ndarray | None  # PSU code per row (0..P-1), None when every row is its own PSU
    psu_stratum: np.ndarray  # stratum code of each PSU (P); rows when psu is None
    n_h: np.ndarray  # PSUs per stratum (H)
    scale_h: np.ndarray  # n_h/(n_h-1) * (1 - f_h); 0 for removed lonely strata (H)
    lonely_adjust: bool
    n_psu: int
    spec: dict
    # raking calibration (R's postStrata of class "raking"): ((codes, weights after the margin's
    # step in the last sweep), ...); influence values are residualised on them before the variance
    calibration: tuple = ()

    @property
    def n(self) -> int:
        return int(self.w.shape[0])

    @property
    def n_strata(self) -> int:
        return int(self.n_h.shape[0])

    @property
    def df(self) -> int:
        """Design degrees of freedom, as R's ``degf``: PSUs minus strata."""
        return int(self.n_psu - self.n_strata)

    # -- variance of domain influence values ---------------------------------------------------

    def domain_var(self, z: np.ndarray, dom: np.ndarray, n_dom: int) -> np.ndarray:
        """Variance of ``sum(z)`` for each of ``n_dom`` disjoint domains.

        ``z[i]`` is row ``i``'s influence value for the domain ``dom[i]`` it belongs to (and is
        zero in every other domain); ``dom[i] == n_dom`` marks rows in no domain.
        """
        if self.calibration:
            Z = np.zeros((self.n, n_dom))
            inside = dom < n_dom
            Z[np.flatnonzero(inside), dom[inside]] = z[inside]
            return np.maximum(np.diag(self.vcov(Z)), 0.0)
        H = self.n_strata
        D = n_dom + 1
        if self.psu is None:
            key = self.stratum * D + dom
            s1 = np.bincount(key, weights=z, minlength=H * D).reshape(H, D)
            s2 = np.bincount(key, weights=z * z, minlength=H * D).reshape(H, D)
        else:
            P = self.n_psu
            t = np.bincount(self.psu * D + dom, weights=z, minlength=P * D)
            key = (self.psu_stratum[:, None] * D + np.arange(D)[None, :]).ravel()
            s1 = np.bincount(key, weights=t, minlength=H * D).reshape(H, D)
            s2 = np.bincount(key, weights=t * t, minlength=H * D).reshape(H, D)
        nh = self.n_h[:, None].astype(float)
        if self.lonely_adjust:
            # centre single-PSU strata at the grand mean of PSU totals (R "adjust")
            grand = s1.sum(axis=0, keepdims=True) / self.n_psu
            centred = s2 - 2 * s1 * grand + nh * grand**2
            regular = s2 - s1**2 / nh
            ss = np.where(self.n_h[:, None] == 1, centred, regular)
        else:
            ss = s2 - s1**2 / nh
        v = (self.scale_h[:, None] * ss).sum(axis=0)[:n_dom]
        return np.maximum(v, 0.0)

    def vcov(self, Z: np.ndarray) -> np.ndarray:
        """Full covariance matrix of the column totals of an ``n x k`` influence matrix."""
        Z = np.asarray(Z, dtype=float)
        if Z.ndim == 1:
            Z = Z[:, None]
        if self.calibration:
            Z = self.calibrate(Z)
        if self.psu is None:
            T = Z
            ps = self.stratum
        else:
            P = self.n_psu
            agg = sparse.csr_matrix(
                (np.ones(self.n), (self.psu, np.arange(self.n))), shape=(P, self.n)
            )
            T = np.asarray(agg @ Z)
            ps = self.psu_stratum
        H = self.n_strata
        S = sparse.csr_matrix(
            (np.ones(T.shape[0]), (ps, np.arange(T.shape[0]))), shape=(H, T.shape[0])
        )
        s1 = np.asarray(S @ T)  # H x k
        nh = self.n_h.astype(float)
        c = self.scale_h[ps]
        cross = T.T @ (T * c[:, None])
        if self.lonely_adjust and np.any(self.n_h == 1):
            grand = s1.sum(axis=0) / self.n_psu
            out = cross.copy()
            for h in range(H):
                if self.n_h[h] == 1:
                    # (T - grand)'(T - grand) for the single PSU; cross already holds T'T
                    out += self.scale_h[h] * (
                        -np.outer(s1[h], grand) - np.outer(grand, s1[h]) + np.outer(grand, grand)
                    )
                else:
                    out -= self.scale_h[h] * np.outer(s1[h], s1[h]) / nh[h]
            return out
        return cross - (s1 * (self.scale_h / nh)[:, None]).T @ s1

    def calibrate(self, Z: np.ndarray) -> np.ndarray:
        """Residualise influence values on the raking margins, as R's ``svyrecvar`` does.

        Ten passes of ``x <- x - w_m * ave(x / w_m, margin_m)`` over the margins, ``w_m`` the
        weights right after margin ``m``'s step in the last raking sweep (rows with ``w_m = 0``
        add nothing to the category means). Each step is two sparse products, built once per
        call: ``G x n`` sums of ``x / w_m`` by category, ``n x G`` back to the rows times ``w_m``
        (3x faster than per-pass ``bincount``s on 100,000 rows, the same numbers to 1e-15).
        """
        Z = np.array(Z, dtype=float, copy=True)
        n = Z.shape[0]
        rows = np.arange(n)
        steps = []
        for code, psw in self.calibration:
            G = int(code.max()) + 1
            pos = psw > 0
            inv = np.where(pos, 1.0 / np.where(pos, psw, 1.0), 0.0)
            cnt = np.maximum(np.bincount(code, minlength=G).astype(float), 1.0)
            to_sums = sparse.csr_matrix((inv, (code, rows)), shape=(G, n))
            to_rows = sparse.csr_matrix((psw, (rows, code)), shape=(n, G))
            steps.append((to_sums, to_rows, cnt[:, None]))
        for _ in range(10):
            for to_sums, to_rows, cnt in steps:
                Z -= to_rows @ ((to_sums @ Z) / cnt)
        return Z


def _codes(s: pd.Series) -> tuple[np.ndarray, np.ndarray]:
    codes, uniques = pd.factorize(s, sort=True)
    return codes.astype(np.int64), np.asarray(uniques)


def build_design(
    data: pd.DataFrame,
    *,
    weights: str | object | None,
    strata: str | Sequence[str] | None = None,
    cluster: str | None = None,
    fpc: str | float | None = None,
    lonely_psu: str = "fail",
) -> Design:
    """Validate a design spec against ``data`` and return a :class:`Design`.

    Raises
    ------
    CXValueError
        Unknown columns; non-numeric, missing, negative or all-zero weights; missing strata or
        cluster ids; an ``fpc`` not constant within a stratum or smaller than the number of PSUs
        sampled; a stratum with a single PSU when ``lonely_psu='fail'``.
    """
    n = len(data)
    if lonely_psu not in LONELY_PSU:
        raise CXValueError(
            f"lonely_psu must be one of {', '.join(repr(x) for x in LONELY_PSU)}; got {lonely_psu!r}"
        )
    # weights
    calibration: tuple = ()
    if weights is None:
        w = np.ones(n)
    elif hasattr(weights, "calibration") and hasattr(weights, "weights"):
        # a RakeResult: its weights, and R's calibrated (raking) variance
        rw = weights.weights
        if not rw.index.equals(data.index):
            raise CXValueError(
                "weights: this RakeResult was raked on other rows (its index differs from the "
                "data's); rake the same frame, or pass the raked weights as a column"
            )
        w = rw.to_numpy(dtype=float)
        calibration = weights.calibration
        weights = "<raked>"
    else:
        if not isinstance(weights, str):
            raise CXValueError(f"weights must be a column name or None; got {weights!r}")
        check_columns(data, [weights], "weights")
        w = numeric_column(data, weights, role="weights")
        if np.isnan(w).any():
            i = int(np.flatnonzero(np.isnan(w))[0])
            raise CXValueError(
                f"weights column {weights!r} is missing at row {data.index[i]!r}; "
                "every row needs a weight (use 0 to exclude a row)"
            )
        if (w < 0).any():
            i = int(np.flatnonzero(w < 0)[0])
            raise CXValueError(
                f"weights column {weights!r} has a negative value {w[i]:g} at row "
                f"{data.index[i]!r}; weights must be >= 0"
            )
        if not (w > 0).any():
            raise CXValueError(f"weights column {weights!r} is zero in every row")
    strata_cols = as_list(strata, "strata")
    check_columns(data, strata_cols, "strata")
    if strata_cols:
        for col in strata_cols:
            if data[col].isna().any():
                i = int(np.flatnonzero(data[col].isna().to_numpy())[0])
                raise CXValueError(f"strata column {col!r} is missing at row {data.index[i]!r}")
        if len(strata_cols) == 1:
            stratum, _ = _codes(data[strata_cols[0]])
        else:
            stratum = data.groupby(strata_cols, sort=True).ngroup().to_numpy(np.int64)
    else:
        stratum = np.zeros(n, dtype=np.int64)
    H = int(stratum.max()) + 1
    if cluster is not None:
        if not isinstance(cluster, str):
            raise CXValueError(f"cluster must be a column name or None; got {cluster!r}")
        check_columns(data, [cluster], "cluster")
        if data[cluster].isna().any():
            i = int(np.flatnonzero(data[cluster].isna().to_numpy())[0])
            raise CXValueError(f"cluster column {cluster!r} is missing at row {data.index[i]!r}")
        # PSUs are nested in strata (R's nest=TRUE semantics: the same id in two strata is two PSUs)
        key = pd.DataFrame({"h": stratum, "c": data[cluster].to_numpy()})
        psu = key.groupby(["h", "c"], sort=True).ngroup().to_numpy(np.int64)
        P = int(psu.max()) + 1
        psu_stratum = np.zeros(P, dtype=np.int64)
        psu_stratum[psu] = stratum
        # a PSU id appearing in two strata is ambiguous in R (error without nest=TRUE); we nest.
    else:
        psu = None
        P = n
        psu_stratum = stratum
    n_h = np.bincount(psu_stratum, minlength=H)
    # finite population correction
    f_h = np.zeros(H)
    if fpc is not None:
        if isinstance(fpc, str):
            check_columns(data, [fpc], "fpc")
            pop = numeric_column(data, fpc, role="fpc")
            if np.isnan(pop).any():
                raise CXValueError(f"fpc column {fpc!r} has missing values")
            per_h = pd.Series(pop).groupby(stratum).agg(["min", "max"])
            if (per_h["min"] != per_h["max"]).any():
                raise CXValueError(f"fpc column {fpc!r} must be constant within each stratum")
            pop_h = per_h["min"].reindex(range(H)).to_numpy()
        elif isinstance(fpc, int | float | np.number) and not isinstance(fpc, bool):
            if H > 1:
                raise CXValueError(
                    "fpc as a number is allowed only without strata; give a column with each "
                    f"stratum's population size; got fpc={fpc!r}"
                )
            pop_h = np.array([float(fpc)])
        else:
            raise CXValueError(f"fpc must be a column name, a number or None; got {fpc!r}")
        if (pop_h <= 0).any():
            raise CXValueError(f"fpc must be positive; got {pop_h[pop_h <= 0][0]!r}")
        # as R: values <= 1 are sampling fractions, larger values population sizes (in PSUs)
        frac = np.where(pop_h <= 1, pop_h, n_h / pop_h)
        if (frac > 1 + 1e-12).any():
            h = int(np.flatnonzero(frac > 1 + 1e-12)[0])
            raise CXValueError(
                f"fpc: population size {pop_h[h]:g} is smaller than the {n_h[h]} PSUs sampled "
                "in that stratum"
            )
        f_h = np.minimum(frac, 1.0)
    lonely = n_h == 1
    with np.errstate(divide="ignore", invalid="ignore"):
        scale_h = np.where(lonely, 0.0, n_h / np.maximum(n_h - 1, 1)) * (1.0 - f_h)
    if lonely.any():
        if not strata_cols:
            raise CXValueError(
                f"the data hold a single {'cluster' if cluster else 'row'} (PSU); a design-based "
                "variance needs at least two"
            )
        if lonely_psu == "fail":
            raise CXValueError(
                f"{int(lonely.sum())} stratum/strata have a single PSU, so their variance "
                "cannot be estimated; pass lonely_psu='remove' (no contribution) or 'adjust' "
                "(centre at the grand mean), as R's options(survey.lonely.psu=...)"
            )
        if lonely_psu == "adjust":
            scale_h = np.where(lonely, 1.0 - f_h, scale_h)
    spec = {
        "weights": weights,
        "strata": strata_cols or None,
        "cluster": cluster,
        "fpc": fpc,
        "lonely_psu": lonely_psu,
    }
    return Design(
        w=w,
        stratum=stratum,
        psu=psu,
        psu_stratum=psu_stratum,
        n_h=n_h,
        scale_h=scale_h,
        lonely_adjust=bool(lonely_psu == "adjust" and lonely.any()),
        n_psu=P,
        spec=spec,
        calibration=calibration,
    )


def prepare_design(
    data: pd.DataFrame,
    *,
    alpha: float,
    min_base: int,
    anonymity_min: int,
    weights: str | object | None,
    strata: str | Sequence[str] | None,
    cluster: str | None,
    fpc: str | float | None,
    lonely_psu: str,
) -> tuple[float, Design]:
    """Validate ``alpha`` and the base rules, then build the design (the shared entry checks)."""
    alpha = check_alpha(alpha)
    check_base_rules(min_base, anonymity_min)
    design = build_design(
        data, weights=weights, strata=strata, cluster=cluster, fpc=fpc, lonely_psu=lonely_psu
    )
    return alpha, design


# --------------------------------------------------------------------------------------------
# domains
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Domains:
    """Integer domain code per row (``n_dom`` = no domain) and the level table."""

    code: np.ndarray
    n_dom: int
    levels: pd.DataFrame  # one row per domain, the by columns (empty columns when by=None)


def build_domains(data: pd.DataFrame, by: Sequence[str]) -> Domains:
    n = len(data)
    if not by:
        return Domains(code=np.zeros(n, dtype=np.int64), n_dom=1, levels=pd.DataFrame(index=[0]))
    check_columns(data, by, "by")
    codes = []
    uniq = []
    for col in by:
        c, u = _codes(data[col])
        codes.append(c)
        uniq.append(u)
    dims = tuple(max(len(u), 1) for u in uniq)
    code_mat = np.vstack(codes)
    ok = (code_mat >= 0).all(axis=0)
    flat = np.full(n, -1, dtype=np.int64)
    if ok.any():
        flat[ok] = np.ravel_multi_index(tuple(code_mat[:, ok]), dims)
    size = int(np.prod(dims))
    seen = np.bincount(flat[ok], minlength=size) > 0
    obs = np.flatnonzero(seen)
    D = len(obs)
    lookup = np.full(size, D, dtype=np.int64)
    lookup[obs] = np.arange(D)
    code = np.full(n, D, dtype=np.int64)
    code[ok] = lookup[flat[ok]]
    if D:
        idx = np.unravel_index(obs, dims)
        levels = pd.DataFrame({col: uniq[j][idx[j]] for j, col in enumerate(by)})
    else:
        levels = pd.DataFrame({col: [] for col in by})
    return Domains(code=code, n_dom=D, levels=levels)


# --------------------------------------------------------------------------------------------
# estimators on domains
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class RatioEstimate:
    """Domain ratio (mean) estimates with their linearised variance."""

    n: np.ndarray
    n_eff: np.ndarray
    weight_sum: np.ndarray
    estimate: np.ndarray
    var: np.ndarray
    df: np.ndarray


def domain_df(design: Design, code: np.ndarray, n_dom: int, use: np.ndarray) -> np.ndarray:
    """Degrees of freedom of each domain, as R's ``degf`` of the domain subset.

    PSUs with at least one used row (valid answer, positive weight) in the domain, minus the
    strata those PSUs belong to.
    """
    D = n_dom
    c = np.where(use, code, D)
    if design.psu is None:
        psus = np.bincount(c, minlength=D + 1)[:D]
        cell = np.bincount(design.stratum * (D + 1) + c, minlength=design.n_strata * (D + 1))
        strata = (cell.reshape(design.n_strata, D + 1) > 0).sum(axis=0)[:D]
    else:
        P = design.n_psu
        present = np.bincount(design.psu * (D + 1) + c, minlength=P * (D + 1)).reshape(P, D + 1) > 0
        psus = present.sum(axis=0)[:D]
        H = design.n_strata
        cell = np.zeros((H, D + 1), dtype=bool)
        pp, dd = np.nonzero(present)
        cell[design.psu_stratum[pp], dd] = True
        strata = cell.sum(axis=0)[:D]
    return (psus - strata).astype(float)


def t_quantiles(alpha: float, df: np.ndarray) -> np.ndarray:
    """Two-sided Student t critical values for an array of degrees of freedom (normal if inf)."""
    df = np.asarray(df, dtype=float)
    with np.errstate(invalid="ignore"):
        q = stats.t.ppf(1 - alpha / 2, np.where(df > 0, df, np.nan))
    return np.where(np.isinf(df), stats.norm.ppf(1 - alpha / 2), q)


def domain_mean(design: Design, dom: Domains, y: np.ndarray) -> RatioEstimate:
    """Weighted domain means of ``y`` (NaN = missing) with Taylor-linearised variances.

    Influence value of row ``i`` in domain ``d``: ``z_i = w_i (y_i - m_d) / W_d`` for non-missing
    ``y_i`` in ``d``, 0 otherwise (R's ``svymean``/``svyby``, ``na.rm=TRUE``).
    """
    D = dom.n_dom
    valid = ~np.isnan(y)
    code = np.where(valid, dom.code, D)
    w = design.w
    y0 = np.where(valid, y, 0.0)
    wv = np.where(valid, w, 0.0)
    n = np.bincount(code, minlength=D + 1)[:D].astype(float)
    W = np.bincount(code, weights=wv, minlength=D + 1)[:D]
    W2 = np.bincount(code, weights=wv * wv, minlength=D + 1)[:D]
    S = np.bincount(code, weights=wv * y0, minlength=D + 1)[:D]
    with np.errstate(invalid="ignore", divide="ignore"):
        m = S / W
        n_eff = W**2 / W2
    m_ext = np.append(np.nan_to_num(m), 0.0)
    W_ext = np.append(np.where(W > 0, W, 1.0), 1.0)
    z = wv * (y0 - m_ext[code]) / W_ext[code]
    var = design.domain_var(z, code, D)
    var = np.where(W > 0, var, np.nan)
    df = domain_df(design, dom.code, D, valid & (w > 0))
    return RatioEstimate(n=n, n_eff=n_eff, weight_sum=W, estimate=m, var=var, df=df)


def mean_influence(design: Design, y: np.ndarray, mask: np.ndarray) -> tuple[float, np.ndarray]:
    """Mean of ``y`` over rows in ``mask`` (and non-missing) and its influence vector (length n)."""
    valid = mask & ~np.isnan(y)
    wv = np.where(valid, design.w, 0.0)
    W = wv.sum()
    if W <= 0:
        return np.nan, np.zeros_like(wv)
    y0 = np.where(valid, y, 0.0)
    m = float((wv * y0).sum() / W)
    return m, wv * (y0 - m) / W


# --------------------------------------------------------------------------------------------
# intervals and output
# --------------------------------------------------------------------------------------------


def t_quantile(alpha: float, df: float) -> float:
    """Two-sided critical value: Student t with ``df`` design degrees of freedom (normal if inf)."""
    if not np.isfinite(df) or df <= 0:
        return float(stats.norm.ppf(1 - alpha / 2))
    return float(stats.t.ppf(1 - alpha / 2, df))


def logit_ci(p: np.ndarray, se: np.ndarray, q: float) -> tuple[np.ndarray, np.ndarray]:
    """Logit-scale interval as R ``svyciprop(method='logit')``: expit(logit(p) -+ q se/(p(1-p)))."""
    p = np.asarray(p, dtype=float)
    se = np.asarray(se, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        lp = np.log(p / (1 - p))
        half = q * se / (p * (1 - p))
        lo = 1 / (1 + np.exp(-(lp - half)))
        hi = 1 / (1 + np.exp(-(lp + half)))
    edge = (p <= 0) | (p >= 1)
    lo = np.where(edge, p, lo)
    hi = np.where(edge, p, hi)
    return lo, hi


def finish(
    frame: pd.DataFrame,
    *,
    min_base: int,
    anonymity_min: int,
    value_columns: Sequence[str],
    where: str,
    settings: dict | None = None,
    stacklevel: int = 3,
) -> pd.DataFrame:
    """Add ``small_base`` and ``suppressed`` flags; blank every value column of suppressed rows.

    ``settings`` (the design and options the estimate ran with) is kept in ``frame.attrs``.
    ``stacklevel`` points the :class:`SmallBaseWarning` at the caller of the public function
    (3: the public function calls ``finish`` itself).
    """
    if settings is not None:
        frame.attrs["settings"] = {"function": where, **settings}
    n = frame["n"].to_numpy(dtype=float)
    small = n < min_base
    supp = n < anonymity_min
    frame["small_base"] = small
    frame["suppressed"] = supp
    if supp.any():
        cols = [c for c in value_columns if c in frame.columns]
        frame.loc[supp, cols] = np.nan
    flagged = small & ~supp
    if flagged.any() or supp.any():
        warnings.warn(
            f"{where}: {int(small.sum())} estimate(s) rest on fewer than {min_base} respondents "
            f"(flagged small_base); {int(supp.sum())} under {anonymity_min} suppressed",
            SmallBaseWarning,
            stacklevel=stacklevel,
        )
    return frame


def design_settings(design: Design, **extra: object) -> dict:
    out = dict(design.spec)
    out.update(extra)
    return out
