"""The demo study: a machinery dealer's customer panel generated from a seed, with its known truth.

:func:`generate` simulates, year by year, a dealer with branches and two customer segments: customers
who buy, answer a yearly satisfaction survey (not every year: there are gaps), get transferred between
departments, grow dissatisfied and leave; prospects who are targeted and convert; employees of each branch
who answer an engagement survey, some of them in an improvement programme. Every parameter of the
data-generating process is a field of :class:`Truth`, which is both the input and the answer key: the
tests of each analysis generate a study and check that the analysis recovers the truth.

The model (all on the observed answer scales, so a regression on the observed items recovers the truth):

* driver items (1–5): ``x_k = clip(round(m_k + a_it + g_bt + e_kit), 1, 5)`` with a customer factor
  ``a_it`` (AR(1) over years, ``customer_rho``), a branch-year effect ``g_bt`` (a fixed branch level plus
  ``engagement_item_link`` × the branch's engagement deviation) and item noise;
* process items (1–5): own customer factor (independent of the drivers), item noise;
* overall satisfaction (0–10): ``7 + Σ w_k (x_k − 3.5) + Σ_j v_j (P_j − 3.5) +
  Σ_l γ_l (P_service,t−l − 3.5) + ε`` (``driver_weights``, ``process_weights``, ``process_sat_lags``);
* repurchase intent, the loyalty outcome (0–10): ``(6 + Σ_l β_l (S_t−l − 7) + λ u_i) · (1 − π)^T + ε``
  (``sat_loyalty_lags`` β, ``transfer_penalty`` π per transfer T in the last service contact;
  ``loyalty_trait`` λ times a stable customer trait u_i, the customer's first satisfaction factor in
  sd units — 0 by default);
* likelihood to recommend (0–10): ``(7 + ρ_S (S_t − 7)) · (1 − π)^T + ε``;
* churn at the end of year t: ``logit p = c0 + c_r[min(run, 4)] + c_s (S_t − 7)``, run = consecutive
  years (up to t) with ``S ≤ dissatisfied_cut``;
* engagement (12 items, 1–5) per branch and wave, lifted by ``programme_effect`` in ``programme_units``
  from ``programme_start`` on.

Years before a customer's first year contribute nothing to lags (their deviation is zero). Survey
answers are drawn for every active customer-year; only a share answers the survey (``response_rate`` by
segment), and the survey weights post-stratify the answers to the active base by segment × branch.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from cxresearch._toolbox import atomic_path
from cxresearch.errors import CXValueError

DRIVER_ITEMS = (
    "product_quality",
    "price_value",
    "channel_ease",
    "competitor_compare",
    "svc_courtesy",
    "svc_competence",
    "svc_responsiveness",
    "exp_need",
    "exp_convenience",
    "exp_emotion",
)
PROCESS_ITEMS = ("proc_sales", "proc_service", "proc_parts", "proc_financing")

_DIMENSIONS = {
    "product_quality": "product",
    "price_value": "price",
    "channel_ease": "channel",
    "competitor_compare": "competitor",
    "svc_courtesy": "service",
    "svc_competence": "service",
    "svc_responsiveness": "service",
    "exp_need": "need",
    "exp_convenience": "convenience",
    "exp_emotion": "emotion",
    "proc_sales": "process:sales",
    "proc_service": "process:service",
    "proc_parts": "process:parts",
    "proc_financing": "process:financing",
}
_LABELS = {
    "respondent_id": ("受访者编号", "Respondent ID"),
    "customer_id": ("客户编号", "Customer ID"),
    "wave": ("调查年度", "Survey wave"),
    "branch": ("分公司", "Branch"),
    "segment": ("客户类型", "Customer segment"),
    "weight": ("权重", "Weight"),
    "product_quality": ("产品质量", "Product quality"),
    "price_value": ("价格合理性", "Value for money"),
    "channel_ease": ("购买渠道便利", "Ease of the sales channel"),
    "competitor_compare": ("与竞争对手相比", "Compared with competitors"),
    "svc_courtesy": ("服务人员礼貌", "Courtesy of service staff"),
    "svc_competence": ("服务人员专业能力", "Competence of service staff"),
    "svc_responsiveness": ("服务响应速度", "Responsiveness of service"),
    "exp_need": ("满足需求", "Meets my needs"),
    "exp_convenience": ("方便省心", "Convenience"),
    "exp_emotion": ("情感认同", "Emotional connection"),
    "proc_sales": ("销售流程满意度", "Sales process satisfaction"),
    "proc_service": ("维修服务流程满意度", "Service process satisfaction"),
    "proc_parts": ("配件供应满意度", "Parts supply satisfaction"),
    "proc_financing": ("融资服务满意度", "Financing satisfaction"),
    "overall_sat": ("总体满意度", "Overall satisfaction"),
    "recommend": ("推荐意愿", "Likelihood to recommend"),
    "repurchase": ("再购买意向", "Repurchase intent"),
    "transfers": ("最近一次服务中的转接次数", "Transfers in the last service contact"),
    "comment": ("意见与建议", "Comments"),
}
BRANCHES = {
    1: ("北京", "Beijing"),
    2: ("上海", "Shanghai"),
    3: ("广州", "Guangzhou"),
    4: ("成都", "Chengdu"),
    5: ("武汉", "Wuhan"),
    6: ("西安", "Xi'an"),
    7: ("沈阳", "Shenyang"),
    8: ("昆明", "Kunming"),
}
SEGMENTS = {1: ("建筑施工", "Construction"), 2: ("农业", "Agriculture")}
MISSING_CODES = (
    {"code": -99, "meaning": "system", "label": {"zh": "系统缺失", "en": "System missing"}},
    {"code": 98, "meaning": "dont_know", "label": {"zh": "不知道", "en": "Don't know"}},
    {"code": 99, "meaning": "not_applicable", "label": {"zh": "不适用", "en": "Not applicable"}},
)


@dataclass(frozen=True)
class Truth:
    """Every parameter of the demo study's data-generating process; also its answer key.

    Pass a modified copy to :func:`generate` to generate another truth, e.g.
    ``Truth(sat_loyalty_lags=(0.4, 0.3))`` for a two-year horizon or ``Truth(sat_loyalty_lags=())`` for
    no effect of satisfaction on loyalty.
    """

    driver_weights: dict = field(
        default_factory=lambda: {
            "product_quality": 0.55,
            "svc_responsiveness": 0.45,
            "price_value": 0.38,
            "svc_competence": 0.22,
            "channel_ease": 0.18,
            "exp_need": 0.15,
            "svc_courtesy": 0.12,
            "exp_convenience": 0.10,
            "competitor_compare": 0.08,
            "exp_emotion": 0.06,
        }
    )
    item_means: dict = field(
        default_factory=lambda: {
            "product_quality": 3.8,
            "price_value": 3.2,
            "channel_ease": 3.7,
            "competitor_compare": 3.3,
            "svc_courtesy": 3.9,
            "svc_competence": 3.6,
            "svc_responsiveness": 3.3,
            "exp_need": 3.7,
            "exp_convenience": 3.5,
            "exp_emotion": 3.4,
            "proc_sales": 3.8,
            "proc_service": 3.5,
            "proc_parts": 3.2,
            "proc_financing": 3.6,
        }
    )
    #: contemporaneous effect of the other processes on overall satisfaction
    process_weights: dict = field(
        default_factory=lambda: {"proc_sales": 0.15, "proc_parts": 0.10, "proc_financing": 0.05}
    )
    #: effect of proc_service at lag 0, 1, … on overall satisfaction (2-year horizon)
    process_sat_lags: tuple = (0.35, 0.20)
    #: effect of overall satisfaction at lag 0, 1, … on repurchase intent (4-year horizon)
    sat_loyalty_lags: tuple = (0.40, 0.30, 0.20, 0.12)
    recommend_sat_slope: float = 0.8
    #: relative loss of repurchase intent and of recommendation per transfer
    transfer_penalty: float = 0.10
    transfer_rate: float = 0.7
    customer_sd: float = 0.6
    customer_rho: float = 0.85
    item_sd: float = 0.75
    overall_noise_sd: float = 0.9
    loyalty_noise_sd: float = 1.0
    #: a stable customer trait in repurchase intent that goes with the customer's satisfaction level:
    #: repurchase is shifted by ``loyalty_trait`` × the customer's first satisfaction factor (in sd
    #: units; the factor is AR(1), so the trait goes with mean satisfaction). 0 (the default) = no
    #: trait; with one, a pooled lag regression mistakes the trait for persistence (issue 14)
    loyalty_trait: float = 0.0
    #: overall_sat ≤ cut counts as a dissatisfied year
    dissatisfied_cut: int = 5
    churn_base_logit: float = -3.2
    #: added to the churn logit for 1, 2, 3 and 4+ consecutive dissatisfied years
    churn_run_logits: tuple = (0.6, 1.2, 2.0, 3.2)
    #: churn logit per point of overall satisfaction above 7
    churn_sat_slope: float = -0.15
    response_rate: dict = field(default_factory=lambda: {1: 0.82, 2: 0.95})
    n_branches: int = 8
    branch_shares: tuple = (0.20, 0.18, 0.15, 0.13, 0.12, 0.10, 0.08, 0.04)
    segment_share_construction: float = 0.6
    prospect_ratio: float = 0.5
    target_share: float = 0.4
    conversion_targeted: float = 0.30
    conversion_untargeted: float = 0.03
    #: branches (units) in the engagement programme, its first wave (offset from the first wave) and its
    #: effect on the engagement index (mean of the 12 items, 1–5)
    programme_units: tuple = (2, 5, 7)
    programme_start_offset: int = 6
    programme_effect: float = 0.40
    #: shift of every driver item per point of branch engagement above its mean
    engagement_item_link: float = 0.5
    #: SD of the branches' own level on every driver item (0 with engagement_item_link 0: no branch differences)
    branch_sd: float = 0.15
    employees_per_unit: tuple = (40, 36, 30, 28, 24, 20, 16, 6)
    employee_response_rate: float = 0.8
    financing_not_used: float = 0.15
    comment_rate: float = 0.30

    def programme_start(self, first_wave: int) -> int:
        return first_wave + self.programme_start_offset

    @property
    def top_drivers(self) -> tuple:
        """Driver items ordered by true weight, largest first (items share one scale and spread)."""
        return tuple(sorted(self.driver_weights, key=lambda k: -self.driver_weights[k]))

    @property
    def sat_loyalty_horizon(self) -> int:
        return _horizon(self.sat_loyalty_lags)

    @property
    def process_sat_horizon(self) -> int:
        return _horizon(self.process_sat_lags)

    def to_dict(self) -> dict:
        d = asdict(self)
        d["response_rate"] = {str(k): v for k, v in self.response_rate.items()}
        d["top_drivers"] = list(self.top_drivers)
        d["sat_loyalty_horizon"] = self.sat_loyalty_horizon
        d["process_sat_horizon"] = self.process_sat_horizon
        return d


def _horizon(lags) -> int:
    h = 0
    for b in lags:
        if b > 0:
            h += 1
        else:
            break
    return h


@dataclass(frozen=True)
class DemoStudy:
    """A generated study: the frames of DESIGN.md, the codebook (dict) and the truth.

    ``responses`` holds NaN where an answer was a declared missing code; ``missing`` keeps those codes
    (``respondent_id, wave, variable, code``) and :func:`write` puts them back into the files.
    ``comments`` carries the themes each comment was built from (``true_themes``, ``|``-joined, and
    ``true_polarity``) for coding tests; the files carry only the text.
    """

    responses: pd.DataFrame
    customers: pd.DataFrame
    employees: pd.DataFrame
    comments: pd.DataFrame
    missing: pd.DataFrame
    codebook: dict
    truth: Truth
    seed: int
    first_wave: int
    n_waves: int

    @property
    def waves(self) -> list[int]:
        return list(range(self.first_wave, self.first_wave + self.n_waves))

    @property
    def programme_start(self) -> int:
        return self.truth.programme_start(self.first_wave)


def generate(
    *,
    seed: int = 0,
    truth: Truth | None = None,
    n_customers: int = 4000,
    n_waves: int = 12,
    first_wave: int = 2014,
) -> DemoStudy:
    """Generate the demo study.

    Parameters
    ----------
    seed : int
        Seed of the random generator; the same seed and truth give the same study.
    truth : Truth, optional
        The data-generating process; default ``Truth()`` (4-year satisfaction → loyalty horizon,
        2-year process → overall horizon, 10% loyalty loss per transfer).
    n_customers : int
        Customers at the start (the base is replenished from converted prospects).
    n_waves : int
        Yearly waves, at least 4.
    first_wave : int
        The year of the first wave.

    Returns
    -------
    DemoStudy

    Examples
    --------
    A small demo study: 300 customers surveyed in four yearly waves, with the CRM extract and an
    employee survey of the same branches:

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> study.waves
    [2014, 2015, 2016, 2017]
    >>> len(study.responses), len(study.customers), len(study.employees)
    (1146, 1908, 626)
    >>> study.responses[["respondent_id", "wave", "branch", "overall_sat", "recommend"]].head(3)
      respondent_id  wave  branch  overall_sat  recommend
    0  R2014-000001  2014       3            3          4
    1  R2014-000002  2014       7            5          5
    2  R2014-000003  2014       1            9          9
    >>> study.truth.dissatisfied_cut  # the process the data were drawn from, kept for tests
    5
    """
    truth = truth or Truth()
    if n_customers < 50:
        raise CXValueError(f"n_customers must be at least 50; got {n_customers}")
    if n_waves < 4:
        raise CXValueError(f"n_waves must be at least 4; got {n_waves}")
    if (
        len(truth.branch_shares) != truth.n_branches
        or len(truth.employees_per_unit) != truth.n_branches
    ):
        raise CXValueError(
            "truth.branch_shares and truth.employees_per_unit need one entry per branch"
        )
    unknown = set(truth.driver_weights) - set(DRIVER_ITEMS)
    if unknown:
        raise CXValueError(
            f"truth.driver_weights has unknown items {sorted(unknown)}; allowed: {DRIVER_ITEMS}"
        )
    rng = np.random.default_rng(seed)
    gen = _Generator(truth, rng, n_customers, n_waves, first_wave)
    return gen.simulate(seed)


class _Generator:
    def __init__(self, truth: Truth, rng, n_customers: int, n_waves: int, first_wave: int):
        self.t = truth
        self.rng = rng
        self.n0 = n_customers
        self.n_waves = n_waves
        self.first_wave = first_wave
        self.waves = list(range(first_wave, first_wave + n_waves))
        # per-person state, grown as prospects convert
        self.ids: list[str] = []
        self.branch = np.empty(0, int)
        self.segment = np.empty(0, int)
        self.a = np.empty(0)  # driver customer factor
        self.trait = np.empty(0)  # stable loyalty trait: the first driver factor in sd units
        self.b = np.empty((0, len(PROCESS_ITEMS)))  # process customer factors
        self.first_year = np.empty(0)  # NaN for prospects
        self.status = np.empty(0, "U8")  # prospect / active / lost
        self.sat_hist = {}  # year -> array of overall_sat deviations (S - 7) for everyone (0 if none)
        self.psvc_hist = {}  # year -> proc_service deviation
        self.run_len = np.empty(0, int)
        self.prev_repurchase = np.empty(0)

    # --- population -----------------------------------------------------------------------------
    def _add(self, n: int, status: str, first_year: float) -> np.ndarray:
        t, rng = self.t, self.rng
        start = len(self.ids)
        self.ids += [f"C{start + i + 1:06d}" for i in range(n)]
        shares = np.asarray(t.branch_shares) / np.sum(t.branch_shares)
        self.branch = np.concatenate(
            [self.branch, rng.choice(np.arange(1, t.n_branches + 1), n, p=shares)]
        )
        seg = np.where(rng.random(n) < t.segment_share_construction, 1, 2)
        self.segment = np.concatenate([self.segment, seg])
        a_new = rng.normal(0, t.customer_sd, n)
        self.a = np.concatenate([self.a, a_new])
        self.trait = np.concatenate(
            [self.trait, a_new / t.customer_sd if t.customer_sd > 0 else a_new]
        )
        self.b = np.vstack([self.b, rng.normal(0, 0.5, (n, len(PROCESS_ITEMS)))])
        self.first_year = np.concatenate([self.first_year, np.full(n, first_year)])
        self.status = np.concatenate([self.status, np.full(n, status, "U8")])
        self.run_len = np.concatenate([self.run_len, np.zeros(n, int)])
        self.prev_repurchase = np.concatenate([self.prev_repurchase, np.full(n, 6.0)])
        for hist in (self.sat_hist, self.psvc_hist):
            for y in hist:
                hist[y] = np.concatenate([hist[y], np.zeros(n)])
        return np.arange(start, start + n)

    def simulate(self, seed: int) -> DemoStudy:
        t, rng = self.t, self.rng
        # initial customers, with some history (first purchase up to 8 years before the first wave)
        self._add(self.n0, "active", np.nan)
        self.first_year[:] = self.first_wave - rng.integers(0, 9, self.n0)
        self._add(int(self.n0 * t.prospect_ratio), "prospect", np.nan)
        engagement = self._engagement_levels()
        resp_rows, cust_rows, miss_rows, com_rows = [], [], [], []

        for wave in self.waves:
            # prospects: targeting and conversion at the start of the year
            pros = np.flatnonzero(self.status == "prospect")
            targeted = np.zeros(len(self.ids), bool)
            targeted[pros] = rng.random(len(pros)) < t.target_share
            p_conv = np.where(targeted[pros], t.conversion_targeted, t.conversion_untargeted)
            conv = pros[rng.random(len(pros)) < p_conv]
            self.status[conv] = "active"
            self.first_year[conv] = wave
            # keep the prospect pool at its size
            n_new = int(self.n0 * t.prospect_ratio) - int(np.sum(self.status == "prospect"))
            if n_new > 0:
                self._add(n_new, "prospect", np.nan)
                targeted = np.concatenate([targeted, np.zeros(n_new, bool)])
            n_all = len(self.ids)
            act = np.flatnonzero(self.status == "active")
            na = len(act)

            # customer factor evolves (AR(1))
            rho = t.customer_rho
            self.a = rho * self.a + np.sqrt(1 - rho**2) * rng.normal(0, t.customer_sd, n_all)
            eng_dev = engagement.loc[wave].to_numpy() - engagement.to_numpy().mean()
            branch_level = self._branch_level()
            g = (
                branch_level[self.branch[act] - 1]
                + t.engagement_item_link * eng_dev[self.branch[act] - 1]
            )

            items = {}
            for k in DRIVER_ITEMS:
                lat = t.item_means[k] + self.a[act] + g + rng.normal(0, t.item_sd, na)
                items[k] = np.clip(np.rint(lat), 1, 5)
            for j, p in enumerate(PROCESS_ITEMS):
                lat = t.item_means[p] + self.b[act, j] + rng.normal(0, 0.8, na)
                items[p] = np.clip(np.rint(lat), 1, 5)

            # overall satisfaction
            psvc_dev = np.zeros(n_all)
            psvc_dev[act] = items["proc_service"] - 3.5
            self.psvc_hist[wave] = psvc_dev
            lat = 7.0 + sum(w * (items[k] - 3.5) for k, w in t.driver_weights.items())
            lat = lat + sum(w * (items[p] - 3.5) for p, w in t.process_weights.items())
            lat = lat + self._lagged(self.psvc_hist, wave, t.process_sat_lags, act)
            overall = np.clip(np.rint(lat + rng.normal(0, t.overall_noise_sd, na)), 0, 10)
            sat_dev = np.zeros(n_all)
            sat_dev[act] = overall - 7.0
            self.sat_hist[wave] = sat_dev

            # service contacts, transfers, loyalty and recommendation
            contacts = rng.poisson(1.5, na)
            transfers = np.where(contacts > 0, np.minimum(rng.poisson(t.transfer_rate, na), 4), 0)
            keep = (1.0 - t.transfer_penalty) ** transfers
            rep_lat = (
                6.0
                + self._lagged(self.sat_hist, wave, t.sat_loyalty_lags, act)
                + t.loyalty_trait * self.trait[act]
            ) * keep
            repurchase = np.clip(np.rint(rep_lat + rng.normal(0, t.loyalty_noise_sd, na)), 0, 10)
            rec_lat = (7.0 + t.recommend_sat_slope * (overall - 7.0)) * keep
            recommend = np.clip(np.rint(rec_lat + rng.normal(0, 1.3, na)), 0, 10)

            # dissatisfaction runs and churn at the end of the year
            dis = overall <= t.dissatisfied_cut
            self.run_len[act] = np.where(dis, self.run_len[act] + 1, 0)
            run_eff = np.concatenate([[0.0], np.asarray(t.churn_run_logits, float)])
            eta = (
                t.churn_base_logit
                + run_eff[np.minimum(self.run_len[act], 4)]
                + t.churn_sat_slope * (overall - 7)
            )
            churned = rng.random(na) < 1 / (1 + np.exp(-eta))

            # behaviour
            first = self.first_year[act] == wave
            lam = 0.3 + 0.1 * self.prev_repurchase[act]
            purchases = rng.poisson(lam)
            purchases = np.where(first, np.maximum(purchases, 1), purchases)
            self.prev_repurchase[act] = repurchase
            price = np.where(self.segment[act] == 1, 80_000.0, 50_000.0)
            revenue = purchases * price * rng.lognormal(0, 0.3, na) + contacts * 1_500.0
            cut = np.quantile(revenue, 0.8) if na else 0.0
            high_value = revenue >= cut

            # CRM rows: active customers, then prospects
            cust_rows.append(
                pd.DataFrame(
                    {
                        "customer_id": np.asarray(self.ids)[act],
                        "year": wave,
                        "branch": self.branch[act],
                        "segment": self.segment[act],
                        "active": True,
                        "churned": churned,
                        "revenue": revenue,
                        "purchases": purchases,
                        "first_purchase_year": self.first_year[act],
                        "targeted": targeted[act],
                        "service_contacts": contacts,
                        "transfers": transfers,
                        "high_value": high_value,
                    }
                )
            )
            pros = np.flatnonzero(self.status == "prospect")
            cust_rows.append(
                pd.DataFrame(
                    {
                        "customer_id": np.asarray(self.ids)[pros],
                        "year": wave,
                        "branch": self.branch[pros],
                        "segment": self.segment[pros],
                        "active": False,
                        "churned": False,
                        "revenue": 0.0,
                        "purchases": 0,
                        "first_purchase_year": np.nan,
                        "targeted": targeted[pros],
                        "service_contacts": 0,
                        "transfers": 0,
                        "high_value": False,
                    }
                )
            )

            # survey: who answers this wave
            rr = np.where(self.segment[act] == 1, t.response_rate[1], t.response_rate[2])
            answered = rng.random(na) < rr
            idx = np.flatnonzero(answered)
            frame = pd.DataFrame(
                {
                    "respondent_id": [f"R{wave}-{i:06d}" for i in range(1, len(idx) + 1)],
                    "customer_id": np.asarray(self.ids)[act][idx],
                    "wave": wave,
                    "branch": self.branch[act][idx],
                    "segment": self.segment[act][idx],
                }
            )
            # post-stratification weights: segment × branch cells to the active base
            cell_pop = pd.Series(
                1,
                index=pd.MultiIndex.from_arrays(
                    [self.segment[act], self.branch[act]], names=["segment", "branch"]
                ),
            )
            cell_pop = cell_pop.groupby(level=[0, 1]).sum()
            cell_smp = frame.groupby(["segment", "branch"]).size()
            # cells without respondents (small studies) cannot be weighted: share over the sampled cells
            cell_pop = cell_pop.reindex(cell_smp.index)
            ratio = (cell_pop / cell_pop.sum()) / (cell_smp / cell_smp.sum())
            key = pd.MultiIndex.from_arrays([frame["segment"], frame["branch"]])
            frame["weight"] = ratio.reindex(key).to_numpy()
            for k in (*DRIVER_ITEMS, *PROCESS_ITEMS):
                frame[k] = items[k][idx]
            frame["overall_sat"] = overall[idx]
            frame["recommend"] = recommend[idx]
            frame["repurchase"] = repurchase[idx]
            frame["transfers"] = transfers[idx]
            # financing not used: "not applicable" code
            na_fin = rng.random(len(idx)) < t.financing_not_used
            frame.loc[na_fin, "proc_financing"] = np.nan
            miss_rows.append(
                pd.DataFrame(
                    {
                        "respondent_id": frame.loc[na_fin, "respondent_id"].to_numpy(),
                        "wave": wave,
                        "variable": "proc_financing",
                        "code": 99,
                    }
                )
            )
            comments, com = self._comments(frame, wave)
            frame["comment"] = comments
            com_rows.append(com)
            resp_rows.append(frame)

            # churners leave after this year
            self.status[act[churned]] = "lost"
            self.run_len[act[churned]] = 0

        responses = pd.concat(resp_rows, ignore_index=True)
        int_cols = [
            *DRIVER_ITEMS,
            *PROCESS_ITEMS,
            "overall_sat",
            "recommend",
            "repurchase",
            "transfers",
        ]
        for c in int_cols:
            responses[c] = responses[c].astype("Int64" if responses[c].isna().any() else "int64")
        responses["branch"] = responses["branch"].astype("int64")
        responses["segment"] = responses["segment"].astype("int64")
        customers = pd.concat(cust_rows, ignore_index=True)
        customers = customers.sort_values(["customer_id", "year"], kind="stable").reset_index(
            drop=True
        )
        employees = self._employees(engagement)
        comments = pd.concat(com_rows, ignore_index=True)
        missing = pd.concat(miss_rows, ignore_index=True)
        missing["code"] = missing["code"].astype("int64")
        return DemoStudy(
            responses=responses,
            customers=customers,
            employees=employees,
            comments=comments,
            missing=missing,
            codebook=codebook_dict(),
            truth=t,
            seed=seed,
            first_wave=self.first_wave,
            n_waves=self.n_waves,
        )

    def _lagged(self, hist: dict, wave: int, coefs, act) -> np.ndarray:
        out = np.zeros(len(act))
        for lag, c in enumerate(coefs):
            y = wave - lag
            if c and y in hist:
                out += c * hist[y][act]
        return out

    def _branch_level(self) -> np.ndarray:
        if not hasattr(self, "_blevel"):
            self._blevel = np.random.default_rng(self.rng.integers(1 << 31)).normal(
                0, self.t.branch_sd, self.t.n_branches
            )
        return self._blevel

    def _engagement_levels(self) -> pd.DataFrame:
        """Expected engagement index per wave (rows) and unit (columns)."""
        t, rng = self.t, self.rng
        base = 3.3 + rng.normal(0, 0.15, t.n_branches)
        noise = rng.normal(0, 0.05, (self.n_waves, t.n_branches))
        lvl = base[None, :] + noise
        start = t.programme_start(self.first_wave)
        for u in t.programme_units:
            for i, w in enumerate(self.waves):
                if w >= start:
                    lvl[i, u - 1] += t.programme_effect
        return pd.DataFrame(lvl, index=self.waves, columns=range(1, t.n_branches + 1))

    def _employees(self, engagement: pd.DataFrame) -> pd.DataFrame:
        t, rng = self.t, self.rng
        rows = []
        for w in self.waves:
            for u in range(1, t.n_branches + 1):
                n = rng.binomial(t.employees_per_unit[u - 1], t.employee_response_rate)
                if n == 0:
                    continue
                person = rng.normal(0, 0.5, n)
                lat = engagement.loc[w, u] + person[:, None] + rng.normal(0, 0.6, (n, 12))
                q = np.clip(np.rint(lat), 1, 5).astype(int)
                f = pd.DataFrame(q, columns=[f"q{i:02d}" for i in range(1, 13)])
                f.insert(0, "wave", w)
                f.insert(0, "unit", u)
                rows.append(f)
        emp = pd.concat(rows, ignore_index=True)
        emp.insert(0, "employee_id", [f"E{w}-{i:05d}" for i, w in enumerate(emp["wave"], 1)])
        return emp

    def _comments(self, frame: pd.DataFrame, wave: int):
        rng = self.rng
        n = len(frame)
        dissatisfied = frame["overall_sat"].to_numpy() <= self.t.dissatisfied_cut
        writes = rng.random(n) < np.where(dissatisfied, 0.8, self.t.comment_rate)
        texts = np.full(n, "", dtype=object)
        themes_out, pol_out, lang_out, rid_out, text_out = [], [], [], [], []
        for i in np.flatnonzero(writes):
            row = frame.iloc[i]
            cands = []
            for theme, (item, op, thr, pol) in _THEME_TRIGGERS.items():
                v = row[item]
                if pd.isna(v):
                    continue
                if (op == "<=" and v <= thr) or (op == ">=" and v >= thr):
                    cands.append((theme, pol))
            lang = "zh" if rng.random() < 0.7 else "en"
            if cands:
                k = min(len(cands), 1 + int(rng.random() < 0.35))
                chosen = [cands[j] for j in rng.choice(len(cands), k, replace=False)]
                parts = [_pick(rng, _TEMPLATES[th][pol][lang]) for th, pol in chosen]
                themes = sorted(th for th, _ in chosen)
                pols = {pol for _, pol in chosen}
                polarity = pols.pop() if len(pols) == 1 else "mixed"
            else:
                parts = [_pick(rng, _GENERIC[lang])]
                themes, polarity = [], "neutral"
            sep = "，" if lang == "zh" else ". "
            text = sep.join(parts)
            r = rng.random()
            if r < 0.03:
                text += (
                    "，请联系我 139" + "".join(str(d) for d in rng.integers(0, 10, 8))
                    if lang == "zh"
                    else (". Call me on 139" + "".join(str(d) for d in rng.integers(0, 10, 8)))
                )
            elif r < 0.05:
                text += (
                    "，邮箱 wang.lei@example.com"
                    if lang == "zh"
                    else ". Email me at j.smith@example.com"
                )
            if lang == "zh" and rng.random() < 0.1:
                text = text.translate(_TRAD)
            texts[i] = text
            rid_out.append(row["respondent_id"])
            text_out.append(text)
            lang_out.append(lang)
            themes_out.append("|".join(themes))
            pol_out.append(polarity)
        com = pd.DataFrame(
            {
                "respondent_id": rid_out,
                "wave": wave,
                "text": text_out,
                "lang": lang_out,
                "true_themes": themes_out,
                "true_polarity": pol_out,
            }
        )
        return texts, com


def _pick(rng, options):
    return options[int(rng.integers(len(options)))]


# theme -> (item, comparison, threshold, polarity)
_THEME_TRIGGERS = {
    "product_quality": ("product_quality", "<=", 2, "negative"),
    "price": ("price_value", "<=", 2, "negative"),
    "responsiveness": ("svc_responsiveness", "<=", 2, "negative"),
    "competence": ("svc_competence", "<=", 2, "negative"),
    "courtesy": ("svc_courtesy", ">=", 5, "positive"),
    "transfers": ("transfers", ">=", 2, "negative"),
    "waiting_time": ("proc_service", "<=", 1, "negative"),
    "parts_availability": ("proc_parts", "<=", 2, "negative"),
}
_TEMPLATES = {
    "product_quality": {
        "negative": {
            "zh": [
                "设备质量不稳定，经常出故障",
                "产品质量太差了",
                "机器用了半年就坏了，质量有问题",
            ],
            "en": [
                "The machine quality is poor",
                "Product quality keeps getting worse",
                "The excavator broke down twice, bad quality",
            ],
        }
    },
    "price": {
        "negative": {
            "zh": ["价格太贵了", "配套服务收费太高，价格不合理", "比别家价格高很多"],
            "en": [
                "The price is too high",
                "Too expensive for what we get",
                "Prices are much higher than other dealers",
            ],
        }
    },
    "responsiveness": {
        "negative": {
            "zh": ["报修以后响应太慢", "打电话没人回复，响应很慢", "服务响应速度需要提高"],
            "en": [
                "Service response is too slow",
                "Nobody responded to my calls for days",
                "Slow response from the service team",
            ],
        }
    },
    "competence": {
        "negative": {
            "zh": ["维修人员不专业", "技术员技术不过关，修了三次才修好", "服务人员专业水平不够"],
            "en": [
                "The technician was not competent",
                "The engineer lacked the skills to fix it",
                "Staff were unprofessional and could not diagnose the fault",
            ],
        }
    },
    "courtesy": {
        "positive": {
            "zh": ["服务人员态度很好", "工作人员热情有礼貌", "客服态度非常好"],
            "en": [
                "The staff were very friendly",
                "Polite and courteous service staff",
                "Friendly people at the branch",
            ],
        }
    },
    "transfers": {
        "negative": {
            "zh": ["电话被转接了好几次", "转来转去没人负责", "一个问题被转接三个部门"],
            "en": [
                "I was transferred several times",
                "Got passed from one department to another",
                "Transferred three times before anyone helped",
            ],
        }
    },
    "waiting_time": {
        "negative": {
            "zh": ["等待时间太长", "排队等了很久", "等了一个星期才有人来"],
            "en": [
                "The waiting time was too long",
                "We waited a week for the technician",
                "Long wait at the service centre",
            ],
        }
    },
    "parts_availability": {
        "negative": {
            "zh": ["配件经常缺货", "等配件等了很久，没有库存", "配件供应不及时"],
            "en": [
                "Spare parts are often out of stock",
                "Parts were not available",
                "Had to wait for spare parts for weeks",
            ],
        }
    },
}
_GENERIC = {
    "zh": ["总体还可以", "没有其他意见", "希望继续保持", "一般般吧"],
    "en": ["Overall it is fine", "No further comments", "Keep it up", "Nothing special"],
}
_TRAD = str.maketrans(
    {
        "价": "價",
        "态": "態",
        "质": "質",
        "转": "轉",
        "专": "專",
        "业": "業",
        "务": "務",
        "员": "員",
        "应": "應",
        "响": "響",
        "过": "過",
        "时": "時",
        "间": "間",
        "维": "維",
        "货": "貨",
        "没": "沒",
        "贵": "貴",
        "这": "這",
        "们": "們",
        "让": "讓",
        "还": "還",
        "来": "來",
        "个": "個",
        "说": "說",
        "设": "設",
        "备": "備",
        "经": "經",
        "障": "障",
        "电": "電",
        "话": "話",
        "题": "題",
        "术": "術",
        "长": "長",
        "队": "隊",
        "库": "庫",
        "门": "門",
        "热": "熱",
        "礼": "禮",
        "貌": "貌",
        "齐": "齊",
        "产": "產",
        "坏": "壞",
    }
)


# --- codebook -----------------------------------------------------------------------------------
def _label(name: str) -> dict:
    zh, en = _LABELS[name]
    return {"zh": zh, "en": en}


def codebook_dict() -> dict:
    """The demo study's codebook in the YAML format of docs/CONTRACT.md §1 (a plain dict).

    Examples
    --------
    >>> import cxresearch as cx
    >>> raw = cx.synth.codebook_dict()
    >>> raw["study"], len(raw["variables"])
    ('demo-machinery', 25)
    >>> raw["variables"][3]["name"], raw["variables"][3]["values"][1]
    ('branch', {'zh': '北京', 'en': 'Beijing'})
    >>> cx.codebook.load(raw).get("overall_sat").label_for("en")
    'Overall satisfaction'
    """
    var = []
    var.append(
        {"name": "respondent_id", "label": _label("respondent_id"), "kind": "id", "role": "id"}
    )
    var.append({"name": "customer_id", "label": _label("customer_id"), "kind": "id"})
    var.append({"name": "wave", "label": _label("wave"), "kind": "wave", "role": "wave"})
    var.append(
        {
            "name": "branch",
            "label": _label("branch"),
            "kind": "category",
            "role": "segment",
            "values": {k: {"zh": zh, "en": en} for k, (zh, en) in BRANCHES.items()},
        }
    )
    var.append(
        {
            "name": "segment",
            "label": _label("segment"),
            "kind": "category",
            "role": "segment",
            "values": {k: {"zh": zh, "en": en} for k, (zh, en) in SEGMENTS.items()},
        }
    )
    var.append({"name": "weight", "label": _label("weight"), "kind": "weight", "role": "weight"})
    for k in (*DRIVER_ITEMS, *PROCESS_ITEMS):
        entry = {
            "name": k,
            "label": _label(k),
            "kind": "likert",
            "min": 1,
            "max": 5,
            "dimension": _DIMENSIONS[k],
            "role": "driver",
        }
        if k == "product_quality":
            entry["aliases"] = [{"name": "prod_qual", "waves": [2014, 2015]}]
        var.append(entry)
    var.append(
        {
            "name": "overall_sat",
            "label": _label("overall_sat"),
            "kind": "rating",
            "min": 0,
            "max": 10,
            "role": "outcome",
        }
    )
    var.append(
        {
            "name": "recommend",
            "label": _label("recommend"),
            "kind": "nps",
            "min": 0,
            "max": 10,
            "role": "outcome",
        }
    )
    var.append(
        {
            "name": "repurchase",
            "label": _label("repurchase"),
            "kind": "rating",
            "min": 0,
            "max": 10,
            "role": "outcome",
        }
    )
    var.append(
        {"name": "transfers", "label": _label("transfers"), "kind": "numeric", "min": 0, "max": 4}
    )
    var.append(
        {
            "name": "comment",
            "label": _label("comment"),
            "kind": "text",
            "role": "text",
            "required": False,
        }
    )
    return {
        "study": "demo-machinery",
        "version": "1",
        "missing_codes": [dict(m) for m in MISSING_CODES],
        "variables": var,
    }


# --- files --------------------------------------------------------------------------------------
def _atomic(path: Path, writer) -> None:
    atomic_path(path, lambda tmp: writer(str(tmp)))


def wave_format(wave: int, first_wave: int, n_waves: int) -> str:
    """The file format a wave is written in: a quarter each of GBK CSV, xlsx, sav and parquet.

    Examples
    --------
    The format each of eight waves is delivered in (a quarter of the waves each):

    >>> import cxresearch as cx
    >>> [cx.synth.wave_format(w, 2014, 8) for w in range(2014, 2022)]
    ['csv', 'csv', 'xlsx', 'xlsx', 'sav', 'sav', 'parquet', 'parquet']
    """
    q = (wave - first_wave) * 4 // n_waves
    return ("csv", "xlsx", "sav", "parquet")[q]


def survey_file_frame(study: DemoStudy, wave: int) -> pd.DataFrame:
    """One wave as the agency delivers it: missing codes in place, renamed columns in early waves.

    Examples
    --------
    A wave as delivered holds the declared missing codes where the generated responses hold NaN
    (here 99, "not applicable": customers who do not use financing):

    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> frame = cx.synth.survey_file_frame(study, 2017)
    >>> len(frame)
    295
    >>> int(study.responses.query("wave == 2017")["proc_financing"].isna().sum())
    46
    >>> frame["proc_financing"].value_counts().sort_index().tail(2)
    proc_financing
    5.0     47
    99.0    46
    Name: count, dtype: int64
    """
    f = study.responses[study.responses["wave"] == wave].copy()
    miss = study.missing[study.missing["wave"] == wave]
    for var, grp in miss.groupby("variable"):
        codes = grp.set_index("respondent_id")["code"]
        sel = f["respondent_id"].isin(codes.index)
        f[var] = f[var].astype("float64")
        f.loc[sel, var] = f.loc[sel, "respondent_id"].map(codes).astype(float)
    for c in f.columns:
        if str(f[c].dtype) == "Int64":
            f[c] = f[c].astype("float64")
    for entry in study.codebook["variables"]:
        for alias in entry.get("aliases", []):
            if wave in alias.get("waves", []):
                f = f.rename(columns={entry["name"]: alias["name"]})
    return f.reset_index(drop=True)


def write(study: DemoStudy, out_dir) -> dict[str, Path]:
    """Write the demo study's files into ``out_dir`` (created if absent); return their paths by name.

    Survey waves go out in four formats (the first quarter of the waves as GBK-encoded CSV, then
    ``.xlsx``, SPSS ``.sav`` with user-missing values declared, and Parquet), the CRM extract as
    ``customers.parquet``, the engagement survey as ``employees.xlsx``, plus ``codebook.yaml`` and
    ``truth.json``. Each file is written to a temporary name and renamed, so a crash leaves no half file.

    Examples
    --------
    >>> import tempfile
    >>> from pathlib import Path
    >>> import cxresearch as cx
    >>> study = cx.synth.generate(seed=1, n_customers=300, n_waves=4)
    >>> with tempfile.TemporaryDirectory() as folder:
    ...     paths = cx.synth.write(study, Path(folder) / "files")
    ...     print(sorted(p.name for p in paths.values()))
    ['codebook.yaml', 'customers.parquet', 'employees.xlsx', 'survey_2014.csv', 'survey_2015.xlsx',
    'survey_2016.sav', 'survey_2017.parquet', 'truth.json']
    """
    import yaml

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    paths: dict[str, Path] = {}
    for wave in study.waves:
        fmt = wave_format(wave, study.first_wave, study.n_waves)
        frame = survey_file_frame(study, wave)
        path = out / f"survey_{wave}.{fmt}"
        if fmt == "csv":
            _atomic(path, lambda p, f=frame: f.to_csv(p, index=False, encoding="gbk"))
        elif fmt == "xlsx":
            _atomic(path, lambda p, f=frame: f.to_excel(p, index=False, engine="openpyxl"))
        elif fmt == "sav":
            _atomic(path, lambda p, f=frame: _write_sav(study, f, p))
        else:
            _atomic(path, lambda p, f=frame: f.to_parquet(p, index=False))
        paths[f"survey_{wave}"] = path
    cust = out / "customers.parquet"
    _atomic(cust, lambda p: study.customers.to_parquet(p, index=False))
    paths["customers"] = cust
    emp = out / "employees.xlsx"
    _atomic(emp, lambda p: study.employees.to_excel(p, index=False, engine="openpyxl"))
    paths["employees"] = emp
    cb = out / "codebook.yaml"
    text = yaml.safe_dump(study.codebook, allow_unicode=True, sort_keys=False, width=120)
    _atomic(cb, lambda p: Path(p).write_text(text, encoding="utf-8"))
    paths["codebook"] = cb
    tr = out / "truth.json"
    meta = {
        "seed": study.seed,
        "first_wave": study.first_wave,
        "n_waves": study.n_waves,
        **study.truth.to_dict(),
    }
    _atomic(
        tr,
        lambda p: Path(p).write_text(
            json.dumps(meta, ensure_ascii=False, indent=2), encoding="utf-8"
        ),
    )
    paths["truth"] = tr
    return paths


def _write_sav(study: DemoStudy, frame: pd.DataFrame, path: str) -> None:
    import pyreadstat

    labels = {}
    value_labels = {}
    for entry in study.codebook["variables"]:
        name = entry["name"]
        if name in frame.columns:
            labels[name] = entry["label"]["en"]
            if entry.get("values"):
                value_labels[name] = {float(k): v["en"] for k, v in entry["values"].items()}
    codes = {m["code"]: m["label"]["en"] for m in MISSING_CODES}
    missing_ranges = {}
    for name in ("proc_financing",):
        if name in frame.columns:
            value_labels.setdefault(name, {}).update(
                {float(c): lab for c, lab in codes.items() if c > 0}
            )
            missing_ranges[name] = [98, 99]
    pyreadstat.write_sav(
        frame,
        path,
        column_labels=[labels.get(c, c) for c in frame.columns],
        variable_value_labels=value_labels,
        missing_ranges=missing_ranges,
    )
