"""``cxresearch import``: what it prints, and that a refused import exits non-zero and changes nothing."""

from __future__ import annotations

import yaml

from cxresearch.cli import main
from cxresearch.store import Store
from test_store import codebook, snapshot, survey, write


def _codebook_file(tmp_path):
    path = tmp_path / "codebook.yaml"
    path.write_text(yaml.safe_dump(codebook(), allow_unicode=True), encoding="utf-8")
    return path


def test_import_prints_what_it_did(tmp_path, capsys):
    cb = _codebook_file(tmp_path)
    w1 = write(survey(2023), tmp_path / "w2023.csv", encoding="gbk")
    w2 = write(survey(2024, n=4), tmp_path / "w2024.xlsx")
    db = tmp_path / "study.duckdb"
    code = main(
        ["import", "--store", str(db), "--client", "acme", "--codebook", str(cb), str(w1), str(w2)]
    )
    out = capsys.readouterr()
    assert code == 0, out.err
    lines = out.out.splitlines()
    assert lines[0].startswith(f"imported 2 files for client 'acme' into {db} in ")
    assert "(store-test version 3, sha256 " in lines[0]
    assert lines[2].split() == ["w2023.csv", "responses", "csv", "gbk", "6", "0", "4"]
    assert lines[3].split() == ["w2024.xlsx", "responses", "xlsx", "-", "4", "0", "3"]
    assert (
        "rows written: responses 10, customers 0, employees 0, comments 7, missing_codes 0"
        in out.out
    )
    assert (
        "new columns in responses (5): customer_id, branch, weight, price_value, overall_sat\n"
        in out.out
    )
    with Store(db, read_only=True) as st:
        assert len(st.responses("acme")) == 10


def test_refused_import_exits_non_zero_and_changes_nothing(tmp_path, capsys):
    cb = _codebook_file(tmp_path)
    db = tmp_path / "study.duckdb"
    assert (
        main(
            [
                "import",
                "--store",
                str(db),
                "--client",
                "acme",
                "--codebook",
                str(cb),
                str(write(survey(2022), tmp_path / "w2022.csv")),
            ]
        )
        == 0
    )
    with Store(db, read_only=True) as st:
        before = snapshot(st)
    capsys.readouterr()
    bad = survey(2023)
    bad.loc[0, "overall_sat"] = 11
    bad.loc[3, "branch"] = 9
    code = main(
        [
            "import",
            "--store",
            str(db),
            "--client",
            "acme",
            "--codebook",
            str(cb),
            str(write(survey(2024), tmp_path / "w2024.csv")),
            str(write(bad, tmp_path / "w2023.csv")),
            str(tmp_path / "w2022.csv"),
        ]
    )
    out = capsys.readouterr()
    assert code == 1
    assert out.out == ""
    assert out.err.startswith("error: import refused, nothing was loaded: 3 problems in 2 files:")
    assert "w2023.csv, row 2, column 'overall_sat': got 11" in out.err
    assert "w2023.csv, row 5, column 'branch': got 9" in out.err
    assert "w2022.csv; expected a file not yet imported for client 'acme'" in out.err
    with Store(db, read_only=True) as st:
        assert snapshot(st) == before


def test_refused_import_does_not_leave_a_new_store_behind(tmp_path, capsys):
    cb = _codebook_file(tmp_path)
    db = tmp_path / "new.duckdb"
    code = main(
        [
            "import",
            "--store",
            str(db),
            "--client",
            "acme",
            "--codebook",
            str(cb),
            str(tmp_path / "missing.csv"),
        ]
    )
    assert code == 1
    assert "missing.csv; expected an existing file (no such file)" in capsys.readouterr().err
    assert not db.exists()
    assert list(tmp_path.glob("new.duckdb*")) == []


def test_check_validates_without_writing(tmp_path, capsys):
    cb = _codebook_file(tmp_path)
    db = tmp_path / "study.duckdb"
    w = str(write(survey(2023), tmp_path / "w2023.csv"))
    assert (
        main(
            ["import", "--check", "--store", str(db), "--client", "acme", "--codebook", str(cb), w]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("checked 1 file for client 'acme' against")
    assert (
        "rows that would be written: responses 6" in out and "nothing was written (--check)" in out
    )
    assert not db.exists()
    assert main(["import", "--store", str(db), "--client", "acme", "--codebook", str(cb), w]) == 0
    with Store(db, read_only=True) as st:
        before = snapshot(st)
    capsys.readouterr()
    assert (
        main(
            ["import", "--check", "--store", str(db), "--client", "acme", "--codebook", str(cb), w]
        )
        == 1
    )
    assert "expected a file not yet imported" in capsys.readouterr().err
    with Store(db, read_only=True) as st:
        assert snapshot(st) == before


def test_bad_codebook_and_locked_store_are_clear_errors(tmp_path, capsys):
    db = tmp_path / "study.duckdb"
    w = str(write(survey(2023), tmp_path / "w2023.csv"))
    code = main(
        [
            "import",
            "--store",
            str(db),
            "--client",
            "acme",
            "--codebook",
            str(tmp_path / "nope.yaml"),
            w,
        ]
    )
    assert code == 1
    assert "codebook" in capsys.readouterr().err and not db.exists()


def test_store_in_use_or_not_a_store_is_a_clear_error(tmp_path, capsys):
    import subprocess
    import sys

    cb = _codebook_file(tmp_path)
    w = str(write(survey(2023), tmp_path / "w2023.csv"))
    # a data file given as the store by mistake is refused and left as it was
    before = (tmp_path / "w2023.csv").read_bytes()
    files = sorted(tmp_path.iterdir())
    assert main(["import", "--store", w, "--client", "acme", "--codebook", str(cb), w]) == 1
    err = capsys.readouterr().err
    assert f"error: store {w!r} looks like a data file (.csv), not a study store" in err
    assert (tmp_path / "w2023.csv").read_bytes() == before
    assert sorted(tmp_path.iterdir()) == files  # no WAL or other file left beside it

    db = tmp_path / "study.duckdb"
    Store(db).close()
    holder = subprocess.Popen(
        [
            sys.executable,
            "-c",
            "import sys, duckdb; c = duckdb.connect(sys.argv[1]); "
            "print('ready', flush=True); sys.stdin.read()",
            str(db),
        ],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    try:
        assert holder.stdout.readline().strip() == "ready"
        code = main(["import", "--store", str(db), "--client", "acme", "--codebook", str(cb), w])
        err = capsys.readouterr().err
        assert code == 1
        assert f"error: cannot open store {str(db)!r}" in err and "lock" in err
    finally:
        holder.stdin.close()
        holder.wait(timeout=30)
    assert db.exists()  # an existing store is never removed


def test_import_reports_the_shares_of_missing_codes(tmp_path, capsys):
    cb = _codebook_file(tmp_path)
    frame = survey(2023, n=10)
    frame["price_value"] = [98, 98, 3, 99, 5, 2, 98, 1, 4, 4]
    frame["overall_sat"] = [5, 6, 7, 8, 9, 10, 0, 1, 2, -99]
    code = main(
        [
            "import",
            "--store",
            str(tmp_path / "s.duckdb"),
            "--client",
            "acme",
            "--codebook",
            str(cb),
            str(write(frame, tmp_path / "w.csv")),
        ]
    )
    assert code == 0
    out = capsys.readouterr().out
    lines = out.splitlines()
    start = lines.index(
        "  missing codes kept for client 'acme' (largest shares of the respondents asked):"
    )
    table = [line.split() for line in lines[start + 1 :]]
    assert table == [
        ["price_value", "98", "dont_know", "3", "of", "10", "30.0%"],
        ["overall_sat", "-99", "system", "1", "of", "10", "10.0%"],
        ["price_value", "99", "refused", "1", "of", "10", "10.0%"],
    ]


def test_skip_imported_flag(tmp_path, capsys):
    cb = _codebook_file(tmp_path)
    db = str(tmp_path / "s.duckdb")
    a = str(write(survey(2023), tmp_path / "w2023.csv"))
    b = str(write(survey(2024), tmp_path / "w2024.csv"))
    assert main(["import", "--store", db, "--client", "acme", "--codebook", str(cb), a]) == 0
    capsys.readouterr()
    assert main(["import", "--store", db, "--client", "acme", "--codebook", str(cb), a, b]) == 1
    assert "leave it out, or skip such files (--skip-imported)" in capsys.readouterr().err
    assert (
        main(
            [
                "import",
                "--store",
                db,
                "--client",
                "acme",
                "--codebook",
                str(cb),
                "--skip-imported",
                a,
                b,
            ]
        )
        == 0
    )
    out = capsys.readouterr().out
    assert out.startswith("imported 1 file for client 'acme'")
    assert "w2023.csv  skipped: imported before as 'w2023.csv' on " in out
    assert "rows written: responses 6," in out


def test_reader_notes_are_printed(tmp_path, capsys):
    cb = _codebook_file(tmp_path)
    extra = survey(2023).assign(interviewer="I-7")
    code = main(
        [
            "import",
            "--store",
            str(tmp_path / "s.duckdb"),
            "--client",
            "acme",
            "--codebook",
            str(cb),
            str(write(extra, tmp_path / "w.csv")),
        ]
    )
    assert code == 0
    notes = [line for line in capsys.readouterr().out.splitlines() if line.startswith("  note: ")]
    assert len(notes) == 1 and notes[0].startswith("  note: w.csv: ") and "interviewer" in notes[0]


def test_python_dash_m_runs_the_command():
    """``python -m cxresearch`` is the ``cxresearch`` command (a venv without its console script)."""
    import subprocess
    import sys

    import cxresearch

    out = subprocess.run(
        [sys.executable, "-m", "cxresearch", "--version"], capture_output=True, text=True
    )
    assert out.returncode == 0, out.stderr
    assert cxresearch.__version__ in out.stdout
