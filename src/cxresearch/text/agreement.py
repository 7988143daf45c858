"""Agreement of the automatic coding with a hand-coded sample: Cohen's kappa.

:func:`coding_agreement` compares the themes (one 2×2 table per theme), :func:`polarity_agreement`
the polarity (one 4×4 table); both report kappa with the large-sample standard error of Fleiss,
Cohen & Everitt (1969) and a normal interval clipped to [-1, 1] (formula and references in
:func:`coding_agreement`).

Why hand-written: kappa and its standard error are a few lines of numpy on the agreement table of
the two codings, one code path for both table sizes, with the package's own warning when kappa is
not estimable (both codings constant).
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd

from ..errors import CXValueError, NotEstimableWarning
from ._checks import _check_alpha
from .coding import POLARITY_LABELS, CodingResult


def _kappa(a: np.ndarray, b: np.ndarray, k: int) -> tuple[float, float, float, float]:
    """Observed and chance agreement, Cohen's kappa and its FCE (1969) standard error.

    ``a`` and ``b`` are integer codes 0..k-1 of the two coders (rows: ``a``).
    """
    n = len(a)
    p = np.zeros((k, k))
    np.add.at(p, (a, b), 1.0)
    p /= n
    r = p.sum(axis=1)
    c = p.sum(axis=0)
    po = float(np.trace(p))
    pe = float(r @ c)
    if np.isclose(pe, 1.0):
        return po, pe, np.nan, np.nan
    kappa = (po - pe) / (1 - pe)
    diag = sum(p[i, i] * (1 - (r[i] + c[i]) * (1 - kappa)) ** 2 for i in range(k))
    off = (1 - kappa) ** 2 * sum(
        p[i, j] * (c[i] + r[j]) ** 2 for i in range(k) for j in range(k) if i != j
    )
    var = (diag + off - (kappa - pe * (1 - kappa)) ** 2) / (n * (1 - pe) ** 2)
    return po, pe, float(kappa), float(np.sqrt(max(var, 0.0)))


def _check_coding(coding) -> None:
    if not isinstance(coding, CodingResult):
        raise CXValueError(f"coding must be a CodingResult; got {type(coding).__name__}")


def _shared_index(hand: pd.DataFrame, coding: CodingResult) -> pd.Index:
    """Index labels of ``hand`` that the coding also has; raises when there are none."""
    common = hand.index.intersection(coding.codes.index)
    if len(common) == 0:
        raise CXValueError(
            "hand shares no index labels with the coded comments; index hand like data"
        )
    return common


def _kappa_fields(auto: np.ndarray, hand: np.ndarray, k: int, z: float, what: str) -> dict:
    """``agreement``, ``expected``, ``estimate``, ``se``, ``ci_lower``, ``ci_upper`` of two codings.

    The interval is ``kappa ± z·se`` clipped to [-1, 1]. When kappa is not estimable (both codings
    constant) it is NaN and a :class:`NotEstimableWarning` names ``what`` (the public caller's
    caller is the warning's location, as when the caller warned itself).
    """
    po, pe, kappa, se = _kappa(auto, hand, k)
    ok = np.isfinite(kappa)
    if not ok:
        warnings.warn(
            f"{what} is not estimable: both codings are constant on the sample",
            NotEstimableWarning,
            stacklevel=3,
        )
    return dict(
        agreement=po,
        expected=pe,
        estimate=kappa,
        se=se,
        ci_lower=max(-1.0, kappa - z * se) if ok else np.nan,
        ci_upper=min(1.0, kappa + z * se) if ok else np.nan,
    )


def polarity_agreement(
    coding: CodingResult, hand: pd.DataFrame, *, column: str = "polarity", alpha: float = 0.05
) -> pd.DataFrame:
    """Cohen's kappa between the automatic polarity and a hand-coded one.

    Parameters
    ----------
    coding : CodingResult
    hand : DataFrame
        Indexed like the coded data, with ``column`` holding ``positive``, ``negative``,
        ``mixed`` or ``neutral`` for each hand-coded comment (rows without a comment are left out).
    column : str, default ``"polarity"``
    alpha : float, default 0.05

    Returns
    -------
    DataFrame
        One row: ``n``, ``agreement`` (p_o), ``expected`` (p_e), ``estimate`` (kappa over the four
        categories), ``se`` (Fleiss, Cohen & Everitt 1969), ``ci_lower``, ``ci_upper``.

    Raises
    ------
    CXValueError
        ``column`` missing, an unknown label, no shared index labels.

    Notes
    -----
    As :func:`coding_agreement`, with four categories instead of two.

    Examples
    --------
    The demo study's comments carry the polarity they were written with, standing in for a
    hand-coded sample:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> coding = cx.text.code_comments(study.comments, text="text")
    >>> hand = study.comments.rename(columns={"true_polarity": "polarity"})
    >>> hand["polarity"].value_counts()
    polarity
    negative    277
    neutral     106
    positive     67
    mixed        10
    Name: count, dtype: int64
    >>> cx.text.polarity_agreement(coding, hand)[["n", "agreement", "estimate", "ci_lower"]].round(3)
         n  agreement  estimate  ci_lower
    0  460      0.998     0.996     0.989
    """
    from scipy import stats

    alpha = _check_alpha(alpha)
    _check_coding(coding)
    if not isinstance(hand, pd.DataFrame) or column not in hand.columns:
        raise CXValueError(f"hand must be a DataFrame with a {column!r} column")
    common = _shared_index(hand, coding)
    labels = POLARITY_LABELS
    h = hand.loc[common, column]
    keep = coding.codes.loc[common, "has_comment"].to_numpy() & h.notna().to_numpy()
    h = h[keep]
    bad = sorted({v for v in h if v not in labels}, key=str)
    if bad:
        raise CXValueError(f"hand polarity must be one of {list(labels)}; got {bad[0]!r}")
    code = {v: i for i, v in enumerate(labels)}
    hv = np.array([code[v] for v in h], dtype=int)
    av = np.array([code[v] for v in coding.codes.loc[h.index, "polarity"]], dtype=int)
    z = stats.norm.ppf(1 - alpha / 2)
    fields = _kappa_fields(av, hv, len(labels), z, "polarity kappa")
    return pd.DataFrame([dict(n=len(hv), **fields)])


def coding_agreement(
    coding: CodingResult,
    hand: pd.DataFrame,
    *,
    themes=None,
    alpha: float = 0.05,
) -> pd.DataFrame:
    """Cohen's kappa per theme between the automatic coding and a hand-coded sample.

    Parameters
    ----------
    coding : CodingResult
        Automatic coding; rows are matched to ``hand`` by index label.
    hand : DataFrame
        The hand-coded sample: indexed by the same labels as the coded data, one 0/1 (or bool)
        column per theme.
    themes : sequence of str, optional
        Themes to compare (default: the coding's themes that are columns of ``hand``).
    alpha : float, default 0.05

    Returns
    -------
    DataFrame
        One row per theme: ``theme``, ``n`` (comments compared), ``n_auto``, ``n_hand`` (positives
        per coder), ``agreement`` (observed, p_o), ``expected`` (chance, p_e), ``estimate``
        (kappa), ``se`` (asymptotic standard error), ``ci_lower``, ``ci_upper`` (normal
        interval, clipped to [-1, 1]).

    Raises
    ------
    CXValueError
        ``hand`` shares no index labels with the coding, a theme is not a column of ``hand`` or
        not in the codeframe, or a hand code is not 0/1.

    Warns
    -----
    NotEstimableWarning
        A theme on which both coders are constant (p_e = 1): kappa is NaN.

    Notes
    -----
    :math:`\\kappa = (p_o - p_e)/(1 - p_e)` with :math:`p_e = \\sum_c p_{c\\cdot} p_{\\cdot c}`
    (Cohen 1960). The standard error is the large-sample one of Fleiss, Cohen & Everitt (1969),
    :math:`\\mathrm{se}^2 = [\\sum_c p_{cc}(1-(p_{c\\cdot}+p_{\\cdot c})(1-\\kappa))^2
    + (1-\\kappa)^2\\sum_{c\\neq d} p_{cd}(p_{\\cdot c}+p_{d\\cdot})^2
    - (\\kappa - p_e(1-\\kappa))^2] / (n(1-p_e)^2)`.

    References
    ----------
    Cohen, J. (1960). A coefficient of agreement for nominal scales. Educational and Psychological
    Measurement 20(1), 37–46. doi:10.1177/001316446002000104
    Fleiss, J. L., Cohen, J., & Everitt, B. S. (1969). Large sample standard errors of kappa and
    weighted kappa. Psychological Bulletin 72(5), 323–327. doi:10.1037/h0028106

    Examples
    --------
    The demo study's comments (Chinese and English) come with the themes they were written
    about, which stand in for a researcher's hand coding here:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> comments = study.comments
    >>> comments.loc[[10, 11], ["text", "true_themes"]]
                                       text                  true_themes
    10  We waited a week for the technician                 waiting_time
    11                       客服态度非常好，配件经常缺货  courtesy|parts_availability
    >>> coding = cx.text.code_comments(comments, text="text")
    >>> hand = comments["true_themes"].str.get_dummies(sep="|")
    >>> kappa = cx.text.coding_agreement(coding, hand)
    >>> kappa[["theme", "n", "n_auto", "n_hand", "estimate", "ci_lower"]].round(2)
                    theme    n  n_auto  n_hand  estimate  ci_lower
    0            courtesy  460      77      77      1.00      1.00
    1          competence  460      48      48      1.00      1.00
    2      responsiveness  460      92      77      0.89      0.84
    3               price  460      86      86      1.00      1.00
    4     product_quality  460      38      30      0.87      0.79
    5           transfers  460      35      35      1.00      1.00
    6        waiting_time  460      27       8      0.44      0.24
    7  parts_availability  460      64      64      1.00      1.00
    """
    from scipy import stats

    alpha = _check_alpha(alpha)
    _check_coding(coding)
    if not isinstance(hand, pd.DataFrame):
        raise CXValueError(f"hand must be a DataFrame of 0/1 codes; got {type(hand).__name__}")
    if themes is None:
        themes = [t for t in coding.themes if t in hand.columns]
        if not themes:
            raise CXValueError(
                f"hand has no column named after a theme; themes: {list(coding.themes)}"
            )
    else:
        themes = [themes] if isinstance(themes, str) else list(themes)
        for t in themes:
            if t not in coding.themes:
                raise CXValueError(f"theme must be one of {list(coding.themes)}; got {t!r}")
            if t not in hand.columns:
                raise CXValueError(f"theme {t!r} is not a column of hand")
    common = _shared_index(hand, coding)
    z = stats.norm.ppf(1 - alpha / 2)
    rows = []
    for t in themes:
        h = hand.loc[common, t]
        if h.isna().any():
            h = h.dropna()
        hv = h.to_numpy()
        ok = (
            np.isin(hv.astype(object), [0, 1, True, False])
            if hv.dtype == object
            else np.isin(hv, [0, 1])
        )
        if not bool(np.all(ok)):
            bad = hv[~ok][0]
            raise CXValueError(f"hand codes of theme {t!r} must be 0/1; got {bad!r}")
        hv = hv.astype(int)
        av = coding.codes.loc[h.index, t].to_numpy().astype(int)
        fields = _kappa_fields(av, hv, 2, z, f"kappa of theme {t!r}")
        rows.append(dict(theme=t, n=len(hv), n_auto=int(av.sum()), n_hand=int(hv.sum()), **fields))
    return pd.DataFrame(
        rows,
        columns=[
            "theme",
            "n",
            "n_auto",
            "n_hand",
            "agreement",
            "expected",
            "estimate",
            "se",
            "ci_lower",
            "ci_upper",
        ],
    )
