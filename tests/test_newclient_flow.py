"""A new client in three commands — ``codebook draft`` → ``import --wave`` → ``init`` — on real data
nobody here generated (issue 12, deliverables 4 and 5).

The data: the American National Election Study 1996 as shipped with statsmodels (``anes96``, 944
respondents, 7-point scales), written to an SPSS ``.sav`` the way client exports come: value labels,
measurement levels, user-missing ``-99`` declared (put into some answers), no respondent id column
and no wave column. The Clinton placement item is renamed ``recommend_clinton`` and labelled as a
1–7 "would recommend" question: the shape of a recommend item that is not an NPS item.

References: the bases are counted with pandas on the frame written to the file.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

import cxresearch as cx
from cxresearch.cli import main
from cxresearch.errors import CXValueError, DataValidationError
from cxresearch.report.params import load_params
from cxresearch.store import Store

pyreadstat = pytest.importorskip("pyreadstat")
sys.path.insert(0, str(Path(__file__).parent / "reference" / "realdata"))
import make_realdata  # noqa: E402  (the anes96 value labels)

SIDE = {1: "Extremely liberal", 7: "Extremely conservative", -99: "No answer"}


def anes_frame() -> pd.DataFrame:
    """anes96 with -99 ("no answer") in every 23rd selfLR and every 31st recommend_clinton."""
    import statsmodels.api as sm

    d = sm.datasets.anes96.load_pandas().data
    df = (
        d[["popul", "TVnews", "selfLR", "ClinLR", "DoleLR", "PID", "age", "educ", "income", "vote"]]
        .rename(columns={"ClinLR": "recommend_clinton"})
        .copy()
    )
    i = np.arange(len(df))
    df.loc[i % 23 == 5, "selfLR"] = -99
    df.loc[i % 31 == 7, "recommend_clinton"] = -99
    return df


def write_sav(df: pd.DataFrame, path) -> None:
    pyreadstat.write_sav(
        df,
        str(path),
        column_labels={
            "popul": "Population of respondent's location (1000s)",
            "TVnews": "Days in the past week watching news on TV",
            "selfLR": "Left-right self-placement",
            "recommend_clinton": "Would recommend Clinton (1-7)",
            "DoleLR": "Placement of Dole",
            "PID": "Party identification",
            "age": "Age",
            "educ": "Education",
            "income": "Income group",
            "vote": "Vote",
        },
        variable_value_labels={
            "selfLR": SIDE,
            "recommend_clinton": SIDE,
            "DoleLR": SIDE,
            **make_realdata.ANES_CODES,
        },
        missing_ranges={"selfLR": [-99], "recommend_clinton": [-99]},
        variable_measure={
            "popul": "scale",
            "TVnews": "scale",
            "selfLR": "ordinal",
            "recommend_clinton": "ordinal",
            "DoleLR": "ordinal",
            "PID": "nominal",
            "age": "scale",
            "educ": "ordinal",
            "income": "ordinal",
            "vote": "nominal",
        },
    )


@pytest.fixture(scope="module")
def flow(tmp_path_factory):
    """Run the three commands once; return (folder, frame written, outputs)."""
    tmp = tmp_path_factory.mktemp("newclient")
    df = anes_frame()
    sav = tmp / "anes96.sav"
    write_sav(df, sav)
    out = {}
    import contextlib
    import io as _io

    def cli(*argv):
        buf = _io.StringIO()
        with contextlib.redirect_stdout(buf):
            rc = main([str(a) for a in argv])
        out[argv[0]] = buf.getvalue()
        assert rc == 0, buf.getvalue()

    cli("codebook", "draft", sav, "--out", tmp / "codebook.yaml")
    cli(
        "import",
        "--store",
        tmp / "study.duckdb",
        "--client",
        "anes",
        "--codebook",
        tmp / "codebook.yaml",
        "--wave",
        "1996",
        sav,
    )
    cli(
        "init",
        "--client",
        "anes",
        "--period",
        "1996",
        "--store",
        tmp / "study.duckdb",
        "--out",
        tmp / "params" / "anes-1996.yaml",
    )
    return tmp, df, out


def test_draft_needs_no_id_or_wave(flow):
    tmp, _, _ = flow
    cb = cx.codebook.load(tmp / "codebook.yaml")
    assert cb.respondent_variable is None and cb.wave_variable is None
    assert cb.get("recommend_clinton").kind.value == "likert"
    assert cb.get("recommend_clinton").scale == (1, 7)
    assert [m.code for m in cb.missing_codes_for("selfLR")] == [-99]
    assert cb.get("PID").kind.value == "category"
    # DoleLR: "-99 No answer" labelled (an export template) but never used and not declared
    # user-missing: proposed as a missing code, so the item stays a 1-7 scale
    assert cb.get("DoleLR").scale == (1, 7)
    assert [m.code for m in cb.missing_codes_for("DoleLR")] == [-99]


def test_import_bases_match_pandas(flow):
    tmp, df, out = flow
    with Store(tmp / "study.duckdb", read_only=True) as st:
        r = st.responses("anes")
        miss = st.missing_codes("anes")
        imp = st.imports("anes")
    assert len(r) == len(df) == 944
    for col in ("selfLR", "recommend_clinton", "DoleLR", "income"):
        assert int(r[col].notna().sum()) == int((df[col] != -99).sum()), col
        assert r[col].sum() == pytest.approx(df.loc[df[col] != -99, col].sum())
    assert int((miss["variable"] == "selfLR").sum()) == int((df["selfLR"] == -99).sum()) == 41
    assert set(miss["code"]) == {-99.0}
    assert set(r["wave"]) == {1996}
    # generated ids: unique, <sha256 prefix>-<case number>, recorded in the provenance
    sha = imp["sha256"].iloc[0]
    assert r["respondent_id"].is_unique
    assert set(r["respondent_id"]) == {f"{sha[:12]}-{i}" for i in range(1, 945)}
    assert imp["ids_generated"].iloc[0] == f"{sha[:12]}-<row>"
    assert int(imp["wave_given"].iloc[0]) == 1996
    assert "wave 1996 set for its 944 rows" in out["import"]
    assert "ids generated as" in out["import"]


def test_generated_ids_are_deterministic(flow, tmp_path):
    tmp, _, _ = flow
    with Store(tmp_path / "again.duckdb") as st:
        st.import_files(
            [tmp / "anes96.sav"], client="other", codebook=tmp / "codebook.yaml", wave=1996
        )
        again = st.responses("other")["respondent_id"]
    with Store(tmp / "study.duckdb", read_only=True) as st:
        first = st.responses("anes")["respondent_id"]
    assert sorted(again) == sorted(first)


def test_init_writes_valid_params_without_nps_for_a_1_to_7_recommend_item(flow):
    tmp, _, out = flow
    path = tmp / "params" / "anes-1996.yaml"
    p = load_params(path)
    assert p.variables.nps is None
    assert p.variables.loyalty == "recommend_clinton"
    assert p.variables.outcome == "selfLR"
    assert p.variables.by == ["PID"]
    assert p.variables.drivers == ["DoleLR", "educ"]
    assert p.variables.weight is None
    assert p.wave == 1996 and p.language == "en"
    assert p.thresholds.dissatisfied_cut == 3  # the bottom of a 1-7 outcome, not the 0-10 default
    assert p.data.store == (tmp / "study.duckdb").resolve()
    text = path.read_text(encoding="utf-8")
    nps_line = next(line for line in text.splitlines() if line.strip().startswith("nps:"))
    assert "null" in nps_line and "# review:" in nps_line and "1-7" in nps_line
    for key in ("outcome", "loyalty", "by", "client_name"):
        line = next(x for x in text.splitlines() if x.strip().startswith(f"{key}:"))
        assert "# review:" in line, key
    assert re.search(r"^# \d+ entries to review:", text, re.M)
    assert "nps -" in out["init"] and "wrote" in out["init"]


def test_the_store_read_refuses_nps_on_the_recommend_item_and_top_box_uses_6_7(flow):
    tmp, df, _ = flow
    with Store(tmp / "study.duckdb", read_only=True) as st:
        r = st.responses("anes")
    with pytest.raises(CXValueError, match=r"'recommend_clinton' has scale 1-7.*6-7"):
        cx.survey.nps(r, score="recommend_clinton")
    top = cx.survey.top_box(r, score="recommend_clinton")
    y = df.loc[df["recommend_clinton"] != -99, "recommend_clinton"]
    assert top["estimate"].iloc[0] == pytest.approx((y >= 6).mean(), abs=1e-12)
    assert int(top["n"].iloc[0]) == len(y)


def test_init_refuses_to_overwrite_without_force(flow, capsys):
    tmp, _, _ = flow
    path = tmp / "params" / "anes-1996.yaml"
    before = path.read_bytes()
    rc = main(
        [
            "init",
            "--client",
            "anes",
            "--period",
            "1996",
            "--store",
            str(tmp / "study.duckdb"),
            "--out",
            str(path),
        ]
    )
    assert rc == 1 and "already exists" in capsys.readouterr().err
    assert path.read_bytes() == before
    rc = main(
        [
            "init",
            "--client",
            "anes",
            "--period",
            "1996",
            "--store",
            str(tmp / "study.duckdb"),
            "--out",
            str(path),
            "--force",
            "--language",
            "zh",
        ]
    )
    assert rc == 0
    assert yaml.safe_load(path.read_text(encoding="utf-8"))["language"] == "zh"
    assert not list(path.parent.glob(".*.tmp"))  # written through a temporary file, none left


def test_init_refuses_an_unknown_client_and_a_period_without_data(flow, capsys):
    tmp, _, _ = flow
    rc = main(
        [
            "init",
            "--client",
            "acme",
            "--period",
            "1996",
            "--store",
            str(tmp / "study.duckdb"),
            "--out",
            str(tmp / "x.yaml"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 1 and "no data for client 'acme'" in err and "anes" in err
    rc = main(
        [
            "init",
            "--client",
            "anes",
            "--period",
            "2001",
            "--store",
            str(tmp / "study.duckdb"),
            "--out",
            str(tmp / "x.yaml"),
        ]
    )
    assert rc == 1 and "waves: [1996]" in capsys.readouterr().err
    assert not (tmp / "x.yaml").exists()


def test_wave_is_refused_for_a_file_with_its_own_wave_column(flow, tmp_path):
    tmp, df, _ = flow
    withwave = df.head(50).assign(wave=1996)
    path = tmp_path / "with_wave.sav"
    write_sav(withwave, path)
    book = yaml.safe_load((tmp / "codebook.yaml").read_text(encoding="utf-8"))
    book["variables"].append({"name": "wave", "kind": "wave", "role": "wave"})
    with Store(tmp_path / "s.duckdb") as st:
        with pytest.raises(DataValidationError) as exc:
            st.import_files([path], client="anes", codebook=book, wave=1996)
        assert "with_wave.sav" in str(exc.value) and "its own wave column 'wave'" in str(exc.value)
        # without --wave the file's own column is used
        st.import_files([path], client="anes", codebook=book)
        assert set(st.responses("anes")["wave"]) == {1996}
        assert st.imports("anes")["wave_given"].isna().all()


def test_a_file_without_a_wave_needs_one(flow, tmp_path):
    tmp, _, _ = flow
    with Store(tmp_path / "s.duckdb") as st:
        with pytest.raises(DataValidationError, match=r"anes96.sav.*--wave"):
            st.import_files([tmp / "anes96.sav"], client="anes", codebook=tmp / "codebook.yaml")
        with pytest.raises(CXValueError, match="wave must be a whole number"):
            st.import_files(
                [tmp / "anes96.sav"], client="anes", codebook=tmp / "codebook.yaml", wave="1996"
            )


def test_a_store_made_before_the_provenance_columns_gains_them(flow, tmp_path):
    import duckdb

    tmp, _, _ = flow
    path = tmp_path / "old.duckdb"
    with Store(path):
        pass
    con = duckdb.connect(str(path))
    con.execute("ALTER TABLE imports DROP COLUMN wave_given")
    con.execute("ALTER TABLE imports DROP COLUMN ids_generated")
    con.close()
    with Store(path, read_only=True) as st:  # read-only: left as it is, still readable
        assert "wave_given" not in st.imports("x").columns
    with Store(path) as st:
        st.import_files(
            [tmp / "anes96.sav"], client="anes", codebook=tmp / "codebook.yaml", wave=1996
        )
        imp = st.imports("anes")
    assert int(imp["wave_given"].iloc[0]) == 1996 and imp["ids_generated"].iloc[0].endswith(
        "-<row>"
    )


def test_fair_as_a_csv_without_ids(tmp_path, capsys):
    """statsmodels ``fair`` (6,366 respondents, 1-5 ratings, unlabelled occupation codes) as a CSV
    export without ids or wave: ids are the CSV row numbers (header = row 1)."""
    import statsmodels.api as sm

    df = sm.datasets.fair.load_pandas().data
    df = df.assign(occupation=df["occupation"].astype(int), religious=df["religious"].astype(int))
    path = tmp_path / "fair.csv"
    df.to_csv(path, index=False)
    assert main(["codebook", "draft", str(path), "--out", str(tmp_path / "cb.yaml")]) == 0
    assert (
        main(
            [
                "import",
                "--store",
                str(tmp_path / "s.duckdb"),
                "--client",
                "fair",
                "--codebook",
                str(tmp_path / "cb.yaml"),
                "--wave",
                "1974",
                str(path),
            ]
        )
        == 0
    )
    assert (
        main(
            [
                "init",
                "--client",
                "fair",
                "--period",
                "1974",
                "--store",
                str(tmp_path / "s.duckdb"),
                "--out",
                str(tmp_path / "fair.yaml"),
            ]
        )
        == 0
    )
    with Store(tmp_path / "s.duckdb", read_only=True) as st:
        r = st.responses("fair")
        sha = st.imports("fair")["sha256"].iloc[0]
    assert len(r) == len(df) == 6366
    assert set(r["respondent_id"]) == {f"{sha[:12]}-{i}" for i in range(2, 6368)}
    assert r["rate_marriage"].sum() == pytest.approx(df["rate_marriage"].sum())
    p = load_params(tmp_path / "fair.yaml")
    assert p.variables.nps is None and p.variables.outcome == "rate_marriage"
    assert p.thresholds.dissatisfied_cut == 2  # bottom two of 1-5
