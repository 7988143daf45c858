"""Every result class shows itself: a one-screen repr, a text summary(), an HTML table.

The results are built by the real estimators on a small demo study (and, for the report floor's
BatchResult and ReportResult, by hand); the checks are the issue-17 contract: repr at most 25 lines
and 2,000 characters, ``_repr_html_`` parses as balanced HTML with the bases and intervals, and
``summary()`` names every base column of every table. ``to_frame()`` is unchanged (a copy of data).
"""

from __future__ import annotations

import ast
import warnings
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest

import cxresearch as cx
from cxresearch._results import ResultDisplay

SRC = Path(__file__).resolve().parents[1] / "src" / "cxresearch"
D = ["product_quality", "price_value", "channel_ease", "competitor_compare"]


def _result_classes_in_src() -> set[str]:
    names = set()
    for path in SRC.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef) and node.name.endswith("Result"):
                names.add(node.name)
    return names


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    from cxresearch.report.batch import BatchItem, BatchResult
    from cxresearch.report.run import ReportResult

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        s = cx.synth.generate(seed=1, n_customers=500, n_waves=5)
        R, C, E = s.responses, s.customers, s.employees
        cur = R[R.wave == R.wave.max()]
        panel = cx.persistence.customer_years(C, R, columns=["overall_sat", "repurchase"])
        out = {
            "DriverResult": cx.drivers.importance(
                cur, outcome="overall_sat", drivers=D, weights="weight"
            ),
            "DominanceResult": cx.drivers.dominance(cur, outcome="overall_sat", drivers=D),
            "LogisticDriverResult": cx.drivers.logistic(
                cur.assign(hi=(cur.overall_sat >= 8).astype(int)), outcome="hi", drivers=D
            ),
            "CrosstabResult": cx.survey.crosstab(cur, banner="segment", row="branch"),
            "RakeResult": cx.survey.rake(cur, margins={"segment": {1: 0.5, 2: 0.5}}),
            "ReliabilityResult": cx.survey.reliability(cur, items=D),
            "HazardResult": cx.persistence.churn_hazard(
                panel, id="customer_id", time="year", score="overall_sat", churn="churned", cut=6
            ),
            "HorizonResult": cx.persistence.horizon(
                panel,
                id="customer_id",
                time="year",
                outcome="repurchase",
                exposure="overall_sat",
                max_lag=2,
                n_boot=20,
                seed=1,
            ),
            "MigrationResult": cx.loyalty.migration(cx.loyalty.ladder(C, survey=R)),
            "TransferPenaltyResult": cx.loyalty.transfer_penalty(
                R, outcome="repurchase", promoter="recommend"
            ),
            "RetentionResult": cx.loyalty.retention_curves(panel, score="overall_sat"),
            "EngagementResult": cx.employee.engagement_index(E),
            "DiDResult": cx.employee.programme_did(
                E, programme_units=(2, 5, 7), start=int(E.wave.min()) + 2
            ),
            "LinkageResult": cx.employee.linkage(
                E, R, outcomes=("overall_sat", "recommend"), nps="recommend", weights="weight"
            ),
            "BacktestResult": cx.alerts.backtest(R, C, seed=1, if_no_history="empty"),
            "CodingResult": cx.text.code_comments(s.comments.head(100), text="text"),
        }
        files = cx.synth.write(s, tmp_path_factory.mktemp("demo"))
        parquet = [
            Path(f)
            for f in (files.values() if isinstance(files, dict) else files)
            if str(f).endswith(".parquet") and "survey" in str(f)
        ][0]
        out["ReadResult"] = cx.io.read(parquet, s.codebook)
    out["BatchResult"] = BatchResult(
        items=(
            BatchItem(params="params/a.yaml", ok=True, seconds=12.5, directory="reports/a"),
            BatchItem(params="params/b.yaml", ok=False, seconds=0.1, error="bad params"),
        ),
        seconds=12.6,
        workers=2,
        scheduler=None,
    )
    out["ReportResult"] = ReportResult(
        directory=Path("reports/a/2026"),
        html=None,
        pdf=None,
        tables=None,
        manifest=Path("reports/a/2026/manifest.json"),
        notebooks=(),
        timings={"render": 1.5},
    )
    return out


def test_every_result_class_is_covered_and_displays(results):
    assert _result_classes_in_src() <= set(results), "a *Result class has no display test"
    for name, res in results.items():
        assert isinstance(res, ResultDisplay), name


class _Balanced(HTMLParser):
    VOID = {"br", "hr", "img", "meta", "input", "col"}

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        assert self.stack and self.stack[-1] == tag, f"unbalanced </{tag}> after {self.stack}"
        self.stack.pop()

    def handle_data(self, data):
        self.text.append(data)


@pytest.mark.parametrize("name", sorted(_result_classes_in_src()))
def test_repr_html_and_summary(results, name):
    res = results[name]
    text = repr(res)
    assert len(text.splitlines()) <= 25 and len(text) <= 2000, (name, len(text))
    assert text.startswith(f"<{name}")
    parser = _Balanced()
    parser.feed(res._repr_html_())
    parser.close()
    assert parser.stack == [], name
    frame = res._display_frame()
    summary = res.summary()
    assert isinstance(summary, str) and repr(summary) == str(summary)
    for field_name, table in res._tables().items():
        assert field_name in summary
        for base in ("n", "n_eff", "at_risk", "n_obs"):
            if base in table.columns and len(table):
                assert f" {base} " in f" {summary} ".replace("\n", " "), (name, field_name, base)
    if (
        frame is not None and len(frame) and name != "CrosstabResult"
    ):  # banner view: test_crosstab_view
        html_text = " ".join(parser.text)
        if "ci_lower" in frame.columns:
            assert "ci" in html_text.split() and "[" in html_text  # the interval as one column
        for base in ("n", "n_eff"):
            if base in frame.columns:
                assert base in html_text.split(), (name, base)


def test_display_leaves_data_and_to_frame_unchanged(results):
    res = results["DriverResult"]
    before = res.to_frame()
    repr(res), res.summary(), res._repr_html_()
    pd.testing.assert_frame_equal(res.to_frame(), before)
    assert before["share"].dtype == float  # raw floats, never formatted strings
