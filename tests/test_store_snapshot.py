"""A report reads one consistent snapshot of the store and is never killed by a concurrent import
(issue 15).

DuckDB lets one process write a file or several read it: the snapshot waits for an import holding
the store, an import waits for a snapshot being taken, and once taken the report reads only its
copy — an import during the report neither fails the report nor changes its bases.
"""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pandas as pd
import pytest
import yaml

from cxresearch.errors import CXError
from cxresearch.store import Store, snapshot

CODEBOOK = {
    "variables": [
        {"name": "respondent_id", "kind": "id", "role": "id"},
        {"name": "wave", "kind": "wave", "role": "wave"},
        {"name": "q", "kind": "likert", "min": 1, "max": 5},
    ]
}


def _store(folder: Path) -> Path:
    db = folder / "s.duckdb"
    pd.DataFrame({"respondent_id": ["a", "b"], "wave": 2024, "q": [1, 2]}).to_csv(
        folder / "a.csv", index=False
    )
    pd.DataFrame({"respondent_id": ["x", "y", "z"], "wave": 2024, "q": 3}).to_csv(
        folder / "b.csv", index=False
    )
    with Store(db) as st:
        st.import_files([folder / "a.csv"], client="acme", codebook=CODEBOOK)
        st.import_files([folder / "b.csv"], client="beta", codebook=CODEBOOK)
    return db


def _hold(db: Path, seconds: float, *, read_only: bool = False) -> subprocess.Popen:
    """Another process holding the store (read-write: an import in progress) for ``seconds``."""
    code = (
        f"import duckdb, time; c = duckdb.connect({str(db)!r}, read_only={read_only}); "
        f"print('held', flush=True); time.sleep({seconds}); c.close()"
    )
    proc = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "held"
    return proc


def test_snapshot_holds_the_client_only(tmp_path):
    db = _store(tmp_path)
    snap = snapshot(db, "acme", tmp_path / "snap.duckdb")
    with Store(snap, read_only=True) as st:
        assert st.clients() == ["acme"]
        assert st.responses("acme")["respondent_id"].tolist() == ["a", "b"]
        assert st.responses("beta").empty and st.counts("beta")["imports"] == 0
        assert st.codebook("acme").names == ("respondent_id", "wave", "q")


def test_snapshot_waits_for_an_import_holding_the_store(tmp_path):
    db = _store(tmp_path)
    holder = _hold(db, 2.0)
    try:
        with pytest.raises(CXError, match="Conflicting lock"):
            snapshot(db, "acme", tmp_path / "none.duckdb", wait=0)
        assert not (tmp_path / "none.duckdb").exists()  # nothing half-made left behind
        t0 = time.monotonic()
        snap = snapshot(db, "acme", tmp_path / "snap.duckdb", wait=60)
        assert time.monotonic() - t0 > 0.5  # it waited, then read
    finally:
        holder.wait()
    with Store(snap, read_only=True) as st:
        assert len(st.responses("acme")) == 2


def test_an_import_waits_for_a_snapshot_being_taken(tmp_path):
    db = _store(tmp_path)
    pd.DataFrame({"respondent_id": ["c"], "wave": 2024, "q": [4]}).to_csv(
        tmp_path / "c.csv", index=False
    )
    holder = _hold(db, 1.5, read_only=True)
    try:
        with pytest.raises(CXError, match="cannot open store"):
            Store(db)
        with Store(db, wait=60) as st:
            st.import_files([tmp_path / "c.csv"], client="acme", codebook=CODEBOOK)
            assert len(st.responses("acme")) == 3
    finally:
        holder.wait()


def test_snapshot_refuses_what_is_not_a_store(tmp_path):
    with pytest.raises(CXError, match="does not exist"):
        snapshot(tmp_path / "missing.duckdb", "acme", tmp_path / "s.duckdb")
    import duckdb

    duckdb.connect(str(tmp_path / "other.duckdb")).close()
    with pytest.raises(CXError, match="not a cxresearch store"):
        snapshot(tmp_path / "other.duckdb", "acme", tmp_path / "s2.duckdb")
    assert not (tmp_path / "s2.duckdb").exists()


# -- a report with an import running during it ------------------------------------------------------


@pytest.mark.report
def test_an_import_during_a_report_neither_kills_it_nor_changes_its_bases(tmp_path):
    from cxresearch import synth
    from cxresearch.report import run_report

    study = synth.generate(seed=5, n_customers=200, n_waves=4, first_wave=2022)
    paths = synth.write(study, tmp_path / "data")
    db = tmp_path / "study.duckdb"
    with Store(db) as st:
        st.import_files(
            [p for k, p in paths.items() if k not in ("codebook", "truth")],
            client="alpha",
            codebook=paths["codebook"],
        )
        n_before = len(st.responses("alpha"))
    late = study.responses[study.responses["wave"] == 2025].head(20)
    late = late.assign(
        respondent_id=late["respondent_id"] + "L", customer_id=late["customer_id"] + "L"
    )
    late.to_csv(tmp_path / "late.csv", index=False)

    nbdir = tmp_path / "nb"
    nbdir.mkdir()
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    cells = [
        ("code", 'params_file = "x.yaml"\nstore_file = None\nlang = None', ["parameters"]),
        ("markdown", "# Concurrency", []),
        (
            "code",
            "import subprocess, sys\nimport cxresearch as cx\n"
            "study = cx.report.open_study(params_file, store=store_file, lang=lang)\n"
            "n1 = len(study.responses(all_waves=True))",
            [],
        ),
        (
            "code",
            "done = subprocess.run([sys.executable, '-c', 'import sys; from cxresearch.cli import main; "
            "sys.exit(main(sys.argv[1:]))', 'import', '--store', "
            f"{str(db)!r}, '--client', 'alpha', '--codebook', {str(paths['codebook'])!r}, "
            f"{str(tmp_path / 'late.csv')!r}], capture_output=True, text=True)",
            [],
        ),
        (
            "code",
            "n2 = len(cx.report.open_study(params_file, store=store_file, lang=lang).responses(all_waves=True))\n"
            "cx.tables.text(f'bases {n1} {n2} import {done.returncode}')",
            [],
        ),
    ]
    for kind, source, tags in cells:
        cell = (
            nbformat.v4.new_markdown_cell(source)
            if kind == "markdown"
            else nbformat.v4.new_code_cell(source)
        )
        cell.metadata["tags"] = tags
        nb.cells.append(cell)
    nbformat.write(nb, str(nbdir / "conc.ipynb"))
    params = {
        "client": "alpha",
        "client_name": {"zh": "阿尔法", "en": "Alpha"},
        "period": "2025",
        "language": "en",
        "data": {"store": str(db)},
        "notebook_dir": "nb",
        "notebooks": ["conc"],
        "output": {"formats": ["html"], "dir": "reports"},
    }
    (tmp_path / "p.yaml").write_text(yaml.safe_dump(params, allow_unicode=True), encoding="utf-8")

    result = run_report(tmp_path / "p.yaml")
    html = result.html.read_text(encoding="utf-8")
    assert f"bases {n_before} {n_before} import 0" in html  # one snapshot: both reads the same
    with Store(db, read_only=True) as st:  # and the import went through meanwhile
        assert len(st.responses("alpha")) == n_before + 20
