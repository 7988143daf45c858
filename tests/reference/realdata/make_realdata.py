"""Client files made from real surveys, as a consultant receives them (run from anywhere):

    python tests/reference/realdata/make_realdata.py OUTDIR

reads the committed R exports beside this script (``make_realdata.R``: MASS ``survey``, lavaan
``HolzingerSwineford1939``) and statsmodels' ``anes96``, and writes into OUTDIR for each a CSV and an SPSS
``.sav`` with value labels and a declared user-missing code 99 (``survey`` also as a GBK CSV with
Chinese column text). No id column and no wave column, as client exports often come. The tests import
the same functions (``anes96_frame``, ``write_*``) so the files they load are these.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat

HERE = Path(__file__).resolve().parent

SEVEN = {1: "Extremely liberal", 4: "Moderate", 7: "Extremely conservative", 99: "No answer"}


def anes96_frame() -> pd.DataFrame:
    """statsmodels' anes96 as shipped (no logpopul), 99 ("no answer") in every 29th selfLR."""
    import statsmodels.api as sm

    d = sm.datasets.anes96.load_pandas().data.drop(columns="logpopul")
    d = d.astype(
        {
            c: "int64"
            for c in [
                "TVnews",
                "selfLR",
                "ClinLR",
                "DoleLR",
                "PID",
                "age",
                "educ",
                "income",
                "vote",
            ]
        }
    )
    d.loc[np.arange(len(d)) % 29 == 3, "selfLR"] = 99
    return d


#: anes96's value labels of its coded answers (party id, education, vote), as the ANES codebook gives
#: them; also used by tests/test_newclient_flow.py
ANES_CODES = {
    "PID": {
        0: "Strong Democrat",
        1: "Weak Democrat",
        2: "Independent-Democrat",
        3: "Independent-Independent",
        4: "Independent-Republican",
        5: "Weak Republican",
        6: "Strong Republican",
    },
    "educ": {
        1: "Grades 1-8",
        2: "Some high school",
        3: "High school",
        4: "Some college",
        5: "Community college",
        6: "BA degree",
        7: "Postgraduate",
    },
    "vote": {0: "Clinton", 1: "Dole"},
}


def write_anes96(out: Path) -> None:
    d = anes96_frame()
    d.to_csv(out / "anes96.csv", index=False)
    pyreadstat.write_sav(
        d,
        str(out / "anes96.sav"),
        column_labels={
            "popul": "Population of respondent's location (1000s)",
            "TVnews": "Days in the past week watching news on TV",
            "selfLR": "Left-right self-placement",
            "ClinLR": "Placement of Clinton, left-right",
            "DoleLR": "Placement of Dole, left-right",
            "PID": "Party identification",
            "age": "Age",
            "educ": "Education",
            "income": "Income group",
            "vote": "Vote",
        },
        variable_value_labels={
            "selfLR": SEVEN,
            "ClinLR": SEVEN,
            "DoleLR": SEVEN,
            **ANES_CODES,
        },
        missing_ranges={"selfLR": [99]},
        variable_measure={
            "popul": "scale",
            "TVnews": "scale",
            "selfLR": "ordinal",
            "ClinLR": "ordinal",
            "DoleLR": "ordinal",
            "PID": "ordinal",
            "age": "scale",
            "educ": "ordinal",
            "income": "ordinal",
            "vote": "nominal",
        },
    )


SURVEY_LEVELS = {
    "Sex": ["Female", "Male"],
    "W.Hnd": ["Left", "Right"],
    "Fold": ["L on R", "Neither", "R on L"],
    "Clap": ["Left", "Neither", "Right"],
    "Exer": ["Freq", "None", "Some"],
    "Smoke": ["Heavy", "Never", "Occas", "Regul"],
    "M.I": ["Imperial", "Metric"],
}


def mass_survey() -> pd.DataFrame:
    # keep_default_na=False: the answer "None" (Exer: no exercise) is an answer, not a missing value
    return pd.read_csv(HERE / "mass_survey.csv", keep_default_na=False, na_values=[""])


def write_mass_survey(out: Path) -> None:
    d = mass_survey()
    d.to_csv(out / "mass_survey.csv", index=False)
    # Chinese export: GBK, Chinese level text
    zh = {
        "Female": "女",
        "Male": "男",
        "Left": "左",
        "Right": "右",
        "Neither": "都不",
        "R on L": "右在上",
        "L on R": "左在上",
        "Freq": "经常",
        "None": "从不",
        "Some": "有时",
        "Heavy": "重度",
        "Never": "从不吸烟",
        "Occas": "偶尔",
        "Regul": "经常吸烟",
        "Imperial": "英制",
        "Metric": "公制",
    }
    d.replace(zh).to_csv(out / "mass_survey_gbk.csv", index=False, encoding="gbk")
    # SPSS: factors as codes 1..k with labels, NA in categories as 99 (declared missing)
    s = d.copy()
    labels, missing = {}, {}
    for col, levels in SURVEY_LEVELS.items():
        codes = {lv: i + 1 for i, lv in enumerate(levels)}
        s[col] = s[col].map(codes).fillna(99).astype("int64")
        labels[col] = {i + 1: lv for i, lv in enumerate(levels)} | {99: "No answer"}
        missing[col] = [99]
    s.columns = [c.replace(".", "_") for c in s.columns]
    labels = {k.replace(".", "_"): v for k, v in labels.items()}
    missing = {k.replace(".", "_"): v for k, v in missing.items()}
    pyreadstat.write_sav(
        s, str(out / "mass_survey.sav"), variable_value_labels=labels, missing_ranges=missing
    )


def holzinger() -> pd.DataFrame:
    return pd.read_csv(HERE / "holzinger1939.csv")


def write_holzinger(out: Path) -> None:
    d = holzinger()
    d.to_csv(out / "holzinger1939.csv", index=False)
    s = d.copy()
    s["school"] = s["school"].map({"Pasteur": 1, "Grant-White": 2})
    s["grade"] = s["grade"].fillna(99).astype("int64")
    pyreadstat.write_sav(
        s,
        str(out / "holzinger1939.sav"),
        column_labels={
            "x1": "Visual perception",
            "x2": "Cubes",
            "x3": "Lozenges",
            "x4": "Paragraph comprehension",
            "x5": "Sentence completion",
            "x6": "Word meaning",
            "x7": "Speeded addition",
            "x8": "Speeded counting of dots",
            "x9": "Speeded discrimination",
        },
        variable_value_labels={
            "school": {1: "Pasteur", 2: "Grant-White"},
            "sex": {1: "Boy", 2: "Girl"},
            "grade": {99: "Not recorded"},
        },
        missing_ranges={"grade": [99]},
    )


if __name__ == "__main__":
    out = Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    write_anes96(out)
    write_mass_survey(out)
    write_holzinger(out)
