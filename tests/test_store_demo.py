"""The whole demo study (every file `synth.write` produces) imported into a store: rows per table
and values match the generated frames; SPSS user-missing values round-trip (issue 9)."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import pytest

from cxresearch import synth
from cxresearch.store import Store


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    out = tmp_path_factory.mktemp("demo")
    study = synth.generate(seed=11, n_customers=1500)
    paths = synth.write(study, out / "files")
    data = [p for k, p in paths.items() if k not in ("codebook", "truth")]
    store = Store(out / "study.duckdb")
    t0 = time.perf_counter()
    report = store.import_files(data, client="demo", codebook=paths["codebook"])
    seconds = time.perf_counter() - t0
    yield study, paths, store, report, seconds
    store.close()


@pytest.mark.slow
def test_demo_study_rows_per_table(demo):
    study, paths, store, report, seconds = demo
    counts = store.counts("demo")
    assert counts["responses"] == len(study.responses)
    assert counts["customers"] == len(study.customers)
    assert counts["employees"] == len(study.employees)
    assert counts["comments"] == len(study.comments)
    assert counts["missing_codes"] == len(study.missing)
    assert counts["imports"] == len(paths) - 2  # all data files, not codebook/truth
    assert report.rows_by_table == {k: counts[k] for k in report.rows_by_table}
    tables = {f.file: f.table for f in report.files}
    assert tables["customers.parquet"] == "customers" and tables["employees.xlsx"] == "employees"
    assert {t for f, t in tables.items() if f.startswith("survey_")} == {"responses"}
    encodings = {f.file: f.encoding for f in report.files}
    assert {e for f, e in encodings.items() if f.endswith(".csv")} == {"gbk"}
    assert seconds < 60, f"demo import took {seconds:.1f} s"


@pytest.mark.slow
def test_demo_study_values_match_the_generated_frames(demo):
    study, _, store, _, _ = demo
    got = store.responses("demo").set_index(["respondent_id", "wave"]).sort_index()
    want = study.responses.set_index(["respondent_id", "wave"]).sort_index()
    assert got.index.equals(want.index)
    items = [c for c in want.columns if c not in ("customer_id", "comment")]
    for col in items:
        np.testing.assert_allclose(
            got[col].to_numpy(dtype=float),
            want[col].to_numpy(dtype=float),
            err_msg=col,
            equal_nan=True,
        )
    assert (got["customer_id"] == want["customer_id"]).all()

    # missing codes: the store gives back exactly the generated codes
    miss = store.missing_codes("demo")
    m = (
        miss[["respondent_id", "wave", "variable", "code"]]
        .sort_values(["respondent_id", "wave", "variable"])
        .reset_index(drop=True)
    )
    w = (
        study.missing[["respondent_id", "wave", "variable", "code"]]
        .sort_values(["respondent_id", "wave", "variable"])
        .reset_index(drop=True)
    )
    assert m["respondent_id"].tolist() == w["respondent_id"].tolist()
    assert m["variable"].tolist() == w["variable"].tolist()
    np.testing.assert_array_equal(m["code"].to_numpy(), w["code"].to_numpy(dtype=float))

    crm = store.customers("demo").drop(columns="client")
    want_crm = study.customers.sort_values(["customer_id", "year"]).reset_index(drop=True)
    pd.testing.assert_series_equal(crm["revenue"], want_crm["revenue"], check_names=False)
    assert crm["churned"].tolist() == want_crm["churned"].tolist()

    com = store.comments("demo").sort_values(["respondent_id", "wave"]).reset_index(drop=True)
    want_com = study.comments.sort_values(["respondent_id", "wave"]).reset_index(drop=True)
    assert com["text"].tolist() == want_com["text"].tolist()
    # the detected language agrees with the generator's, Chinese (incl. traditional) and English
    assert (com["lang"] == want_com["lang"]).mean() > 0.99

    summary = store.missing_summary("demo")
    fin = summary[summary["variable"] == "proc_financing"]
    assert fin["n"].sum() == len(study.missing[study.missing["variable"] == "proc_financing"])
    assert fin["base"].iloc[0] == len(study.responses)


def test_sav_user_missing_round_trip(tmp_path):
    """A .sav declaring its own user-missing values: the store's mean of an item is the mean without
    those values, and the count of each code is reported. (Writing a GBK-encoded .sav is not
    possible with pyreadstat; GBK .sav reading is tested with the readers.)"""
    import pyreadstat

    cb = {
        "study": "sav-test",
        "missing_codes": [
            {"code": 98, "meaning": "dont_know", "label": {"zh": "不知道", "en": "Don't know"}},
            {"code": 99, "meaning": "refused", "label": {"zh": "拒答", "en": "Refused"}},
        ],
        "variables": [
            {"name": "respondent_id", "kind": "id", "role": "id"},
            {"name": "wave", "kind": "wave", "role": "wave"},
            {"name": "price_value", "kind": "likert", "min": 1, "max": 5},
            {"name": "comment", "kind": "text", "required": False},
        ],
    }
    values = [1, 2, 98, 4, 99, 5, 98, 3, 2, 98]
    for name in ("plain.sav", "compressed.zsav"):
        frame = pd.DataFrame(
            {
                "respondent_id": [f"R{i}" for i in range(10)],
                "wave": 2024,
                "price_value": np.array(values, dtype=float),
                "comment": ["价格合理" if i % 2 else "" for i in range(10)],
            }
        )
        path = tmp_path / name
        pyreadstat.write_sav(
            frame,
            str(path),
            missing_ranges={"price_value": [98, 99]},
            variable_value_labels={"price_value": {98.0: "DK", 99.0: "REF"}},
            compress=name.endswith(".zsav"),
        )
        with Store(tmp_path / f"{name}.duckdb") as st:
            report = st.import_files([path], client="c", codebook=cb)
            assert report.files[0].format == "sav"
            got = st.responses("c")
            raw = np.array(values, dtype=float)
            keep = ~np.isin(raw, [98, 99])
            assert got["price_value"].mean() == pytest.approx(raw[keep].mean())
            assert got["price_value"].count() == keep.sum()
            s = st.missing_summary("c").set_index("code")
            assert s.loc[98.0, "n"] == 3 and s.loc[99.0, "n"] == 1 and s.loc[98.0, "base"] == 10
            assert st.comments("c")["text"].tolist() == ["价格合理"] * 5


@pytest.mark.slow
def test_demo_files_values_come_back_with_their_codes(demo):
    """Nothing lost: with codes=True the store gives back each wave's values as the file held them."""
    study, _, store, _, _ = demo
    aliases = {
        a["name"]: v["name"] for v in study.codebook["variables"] for a in v.get("aliases", [])
    }
    for wave in study.waves:
        file_frame = synth.survey_file_frame(study, wave).rename(columns=aliases)
        file_frame = file_frame.set_index("respondent_id").sort_index()
        got = (
            store.responses("demo", waves=[wave], codes=True)
            .set_index("respondent_id")
            .sort_index()
        )
        assert got.index.equals(file_frame.index)
        items = [c for c in file_frame.columns if c not in ("customer_id", "comment", "wave")]
        # exact for codes and items; the weight may differ in the last bit after a CSV round trip
        np.testing.assert_allclose(
            got[items].to_numpy(dtype=float),
            file_frame[items].to_numpy(dtype=float),
            rtol=1e-14,
            atol=0,
            err_msg=str(wave),
        )


def test_demo_out_renders_the_store_it_built(tmp_path):
    """`cxresearch demo --out X` built X/study.duckdb, then rendered params/demo.yaml, whose store is
    demo_study/: "data.store: file not found". The report now reads the store just built."""
    from pathlib import Path

    import yaml

    from cxresearch.commands.demo import _params_for

    repo = Path(__file__).resolve().parents[1]
    params = repo / "params" / "demo.yaml"
    before = params.read_bytes()
    copy = _params_for(params, tmp_path / "study.duckdb")
    assert copy == tmp_path / "demo.yaml" and params.read_bytes() == before
    raw = yaml.safe_load(copy.read_text(encoding="utf-8"))
    assert (copy.parent / raw["data"]["store"]).resolve() == (tmp_path / "study.duckdb").resolve()
    assert raw["client"] == "demo" and raw["owners"] == yaml.safe_load(before)["owners"]
    assert _params_for(params, repo / "demo_study" / "study.duckdb") == params


def test_demo_reads_the_demo_params_and_refuses_a_missing_one_before_generating(tmp_path, capsys):
    """Without --params the demo renders params/demo.yaml (here the checkout's, in an installed
    package its bundled copy); a --params file that does not exist stops it before any file is
    written."""
    from pathlib import Path

    from cxresearch.cli import main
    from cxresearch.report.params import default_notebook_dir, demo_params_file

    repo = Path(__file__).resolve().parents[1]
    assert demo_params_file() == repo / "params" / "demo.yaml"
    assert default_notebook_dir() == repo / "notebooks"
    missing = tmp_path / "nope.yaml"
    assert main(["demo", "--out", str(tmp_path / "d"), "--params", str(missing)]) == 1
    assert f"--params: file not found: {missing}" in capsys.readouterr().err
    assert not (tmp_path / "d").exists()
