"""``cxresearch init`` / :func:`cxresearch.report.scaffold.draft_params`: roles from the codebook, NPS only
for a 0-10 recommend item, guesses marked for review, valid params (issue 12, deliverable 5)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
import yaml

from cxresearch import synth
from cxresearch.errors import CXValueError
from cxresearch.report.params import load_params
from cxresearch.report.scaffold import draft_params, write_params
from cxresearch.store import Store


@pytest.fixture(scope="module")
def demo_store(tmp_path_factory):
    out = tmp_path_factory.mktemp("initdemo")
    study = synth.generate(seed=5, n_customers=300, n_waves=4, first_wave=2021)
    paths = synth.write(study, out / "files")
    data = [p for k, p in paths.items() if k not in ("codebook", "truth")]
    with Store(out / "study.duckdb") as st:
        st.import_files(data, client="demo", codebook=paths["codebook"])
    return out, study


def test_demo_roles_come_from_the_codebook(demo_store):
    out, study = demo_store
    draft = draft_params(
        client="demo",
        period="2024",
        store=out / "study.duckdb",
        out=out / "params" / "demo-2024.yaml",
    )
    v = draft.params["variables"]
    roles = {e["name"]: e for e in study.codebook["variables"]}
    assert (
        v["outcome"] == "overall_sat" and v["nps"] == "recommend" and v["loyalty"] == "repurchase"
    )
    assert v["processes"] == [
        n for n, e in roles.items() if str(e.get("dimension", "")).startswith("process:")
    ]
    assert v["process"] == "proc_service"
    assert v["drivers"] == [
        n
        for n, e in roles.items()
        if e.get("role") == "driver" and not str(e.get("dimension", "")).startswith("process:")
    ]
    assert v["by"] == ["branch", "segment"] and v["weight"] == "weight"
    assert draft.params["language"] == "zh" and draft.params["first_wave"] == 2021
    assert draft.params["data"] == {"store": "../study.duckdb"}
    # the codebook decided every role: only the display name is left to review
    assert [k for k, _ in draft.notes] == ["client_name"]
    path = write_params(draft, out / "params" / "demo-2024.yaml")
    p = load_params(path)
    assert p.wave == 2024 and p.variables.nps == "recommend"
    assert p.thresholds.dissatisfied_cut == 6


def _tiny(tmp_path, columns: dict, variables: list, *, wave=True, name="s.csv"):
    rng = np.random.default_rng(0)
    n = 60
    df = pd.DataFrame({"respondent_id": [f"R{i}" for i in range(n)]})
    if wave:
        df["wave"] = 2024
    for col, (lo, hi) in columns.items():
        df[col] = rng.integers(lo, hi + 1, n)
    df["region"] = rng.integers(1, 3, n)
    book = {
        "study": "tiny",
        "version": "1",
        "variables": [
            {"name": "respondent_id", "kind": "id", "role": "id"},
            *([{"name": "wave", "kind": "wave", "role": "wave"}] if wave else []),
            *variables,
            {
                "name": "region",
                "kind": "category",
                "values": {1: {"en": "North"}, 2: {"en": "South"}},
            },
        ],
    }
    path = tmp_path / name
    df.to_csv(path, index=False)
    (tmp_path / "cb.yaml").write_text(yaml.safe_dump(book, allow_unicode=True), encoding="utf-8")
    return path, tmp_path / "cb.yaml"


def _store(tmp_path, path, cb):
    with Store(tmp_path / "t.duckdb") as st:
        st.import_files([path], client="c", codebook=cb, wave=None)
    return tmp_path / "t.duckdb"


def test_a_1_to_10_recommend_item_is_not_nps(tmp_path):
    path, cb = _tiny(
        tmp_path,
        {"overall": (1, 10), "recommend": (1, 10), "speed": (1, 5)},
        [
            {"name": "overall", "kind": "rating", "min": 1, "max": 10, "role": "outcome"},
            {"name": "recommend", "kind": "rating", "min": 1, "max": 10, "role": "outcome"},
            {"name": "speed", "kind": "likert", "min": 1, "max": 5, "role": "driver"},
        ],
    )
    d = draft_params(
        client="c", period="2024", store=_store(tmp_path, path, cb), out=tmp_path / "p.yaml"
    )
    v = d.params["variables"]
    assert v["nps"] is None and v["loyalty"] == "recommend" and v["outcome"] == "overall"
    assert v["drivers"] == ["speed"]
    assert any(k == "variables.nps" and "1-10, not 0-10" in n for k, n in d.notes)


def test_a_0_10_rating_named_recommend_is_nps_marked_for_review(tmp_path):
    path, cb = _tiny(
        tmp_path,
        {"sat": (1, 5), "rec": (0, 10)},
        [
            {"name": "sat", "kind": "likert", "min": 1, "max": 5, "label": {"zh": "总体满意度"}},
            {
                "name": "rec",
                "kind": "rating",
                "min": 0,
                "max": 10,
                "label": {"zh": "推荐意愿", "en": "Likelihood to recommend"},
            },
        ],
    )
    d = draft_params(
        client="c", period="2024", store=_store(tmp_path, path, cb), out=tmp_path / "p.yaml"
    )
    v = d.params["variables"]
    assert v["nps"] == "rec" and v["outcome"] == "sat"
    assert d.params["language"] == "zh"  # the codebook has Chinese labels
    assert d.params["thresholds"] == {"dissatisfied_cut": 2, "early_warning": 2}
    keys = [k for k, _ in d.notes]
    assert "variables.nps" in keys and "variables.outcome" in keys
    text = d.to_yaml()
    assert "nps: rec  # review:" in text


def test_files_mode_and_its_refusals(tmp_path):
    path, cb = _tiny(
        tmp_path,
        {"sat": (1, 7)},
        [{"name": "sat", "kind": "likert", "min": 1, "max": 7, "role": "outcome"}],
    )
    d = draft_params(client="c", period="2024", files=[path], codebook=cb, out=tmp_path / "p.yaml")
    assert d.params["data"] == {"files": ["s.csv"], "codebook": "cb.yaml"}
    p = load_params(write_params(d, tmp_path / "p.yaml"))
    assert p.data.files == [path.resolve()]
    nowave, cb2 = _tiny(
        tmp_path,
        {"sat": (1, 7)},
        [{"name": "sat", "kind": "likert", "min": 1, "max": 7, "role": "outcome"}],
        wave=False,
        name="nowave.csv",
    )
    with pytest.raises(CXValueError, match=r"nowave.csv has no wave column.*--wave"):
        draft_params(
            client="c", period="2024", files=[nowave], codebook=cb2, out=tmp_path / "q.yaml"
        )
    with pytest.raises(CXValueError, match="either store"):
        draft_params(client="c", period="2024", out=tmp_path / "q.yaml")
    with pytest.raises(CXValueError, match="need codebook"):
        draft_params(client="c", period="2024", files=[path], out=tmp_path / "q.yaml")


def test_write_params_refuses_an_existing_file(tmp_path):
    path, cb = _tiny(
        tmp_path,
        {"sat": (1, 7)},
        [{"name": "sat", "kind": "likert", "min": 1, "max": 7, "role": "outcome"}],
    )
    d = draft_params(client="c", period="2024", files=[path], codebook=cb, out=tmp_path / "p.yaml")
    (tmp_path / "p.yaml").write_text("keep me", encoding="utf-8")
    with pytest.raises(CXValueError, match="already exists"):
        write_params(d, tmp_path / "p.yaml")
    assert (tmp_path / "p.yaml").read_text(encoding="utf-8") == "keep me"
    write_params(d, tmp_path / "p.yaml", overwrite=True)
    assert load_params(tmp_path / "p.yaml").variables.outcome == "sat"


# -- client_name in one language (a consultant writing an en-only report) -------------------------
_RAW = {"client": "acme", "period": "2025", "data": {"store": "study.duckdb"}}


@pytest.mark.parametrize(
    ("name", "language", "shown", "fallbacks"),
    [
        ("Acme", "en", "Acme", ()),
        ("Acme", "zh", "Acme", ()),  # one plain text: the name in both languages, as given
        ({"en": "Acme"}, "en", "Acme", ()),
        ({"zh": "阿克米", "en": "Acme"}, "zh", "阿克米", ()),
        (
            {"en": "Acme"},
            "zh",
            "Acme",
            (
                "client_name has no zh text: the zh report shows the en name 'Acme' (add client_name.zh)",
            ),
        ),
        (
            {"zh": "阿克米"},
            "en",
            "阿克米",
            (
                "client_name has no en text: the en report shows the zh name '阿克米' (add client_name.en)",
            ),
        ),
    ],
)
def test_client_name_in_one_language_or_plain(name, language, shown, fallbacks):
    params = load_params({**_RAW, "client_name": name, "language": language}, check_files=False)
    assert params.display_name == shown
    assert params.fallbacks == fallbacks


def test_client_name_needs_one_text():
    from cxresearch.report.params import ParamsError

    with pytest.raises(ParamsError, match=r"client_name: .*give the client's name"):
        load_params({**_RAW, "client_name": {}}, check_files=False)
    with pytest.raises(ParamsError, match=r"client_name\.en: String should have at least 1"):
        load_params({**_RAW, "client_name": {"en": ""}}, check_files=False)
    with pytest.raises(ParamsError, match=r"client_name\.fr: unknown key"):
        load_params({**_RAW, "client_name": {"en": "Acme", "fr": "Acme"}}, check_files=False)


def test_owners_follow_the_report_language_and_a_missing_one_is_stated(tmp_path):
    """Owners in both languages: each report shows its own; an owner in one language only is
    shown as given in the other report, and Params.fallbacks says so (the demo's zh report
    showed 'Customer care team')."""
    import yaml

    import cxresearch as cx
    from cxresearch.report.params import demo_params_file

    raw = yaml.safe_load(demo_params_file().read_text(encoding="utf-8"))
    params = cx.report.load_params(raw | {"language": "zh"}, check_files=False)
    assert params.owners["alerts"].for_lang("zh") == "客户关怀团队"
    assert params.owners["alerts"].for_lang("en") == "Customer care team"
    assert params.fallbacks == ()
    raw["owners"] = {"alerts": {"en": "Customer care team"}, "price": "Sales"}
    params = cx.report.load_params(raw | {"language": "zh"}, check_files=False)
    assert params.owners["alerts"].for_lang("zh") == "Customer care team"
    assert params.owners["price"].for_lang("zh") == "Sales"
    (note,) = params.fallbacks
    assert "owners['alerts'] has no zh text" in note and "add owners.alerts.zh" in note
