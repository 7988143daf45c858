# %% [markdown] tags=["lang-zh"]
# # 附录：方法与效度
#
# 本附录说明报告采用的方法、设置与质量检查，供希望核对结果的读者参考。

# %% [markdown] tags=["lang-en"]
# # Appendix: methods and validity
#
# This appendix sets out the methods, settings and quality checks behind the report, for readers who want to
# verify the results.

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)
v = study.variables

# %%
bases = cx.survey.mean(study.responses(), score=v.outcome, by="wave", **study.design)

# %% [markdown] tags=["lang-zh"]
# ## 样本基数
#
# 各年份的受访人数与加权后的有效样本量，以及本期各细分群体的样本基数。

# %% [markdown] tags=["lang-en"]
# ## Sample sizes
#
# Respondents and effective bases after weighting per wave, and the bases of the segments in the current wave.

# %%
cx.tables.bases(bases, name="bases_by_wave", **study.fmt)

# %% tags=["needs-segments"]
segment_bases = cx.survey.by_each(study.current(), score=v.outcome, by=study.segments, **study.design)

# %% tags=["needs-segments"]
cx.tables.bases_each(segment_bases, name="bases_by_segment", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 调查实施与指标定义

# %% [markdown] tags=["lang-en"]
# ## Fieldwork and definitions

# %%
cx.tables.fieldwork_table(study.params, **study.fmt)

# %%
cx.tables.definitions_table(study.params, variables=study.variables, drivers=study.drivers, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 方法
#
# 以下只列出本报告实际采用的方法。

# %% [markdown] tags=["lang-en"]
# ## Methods
#
# Only the methods this report used are listed.

# %% [markdown] tags=["lang-zh"]
# - **加权估计**：均值、比例和 NPS 均按调查权重（抽样权重）计算，标准误采用线性化方法；有效样本量按 Kish 公式计算；无权重时为简单随机样本估计。

# %% [markdown] tags=["lang-en"]
# - **Weighted estimates**: means, shares and NPS use the survey (sampling) weights with linearised standard
#   errors; effective bases follow Kish. Without weights the estimates are those of a simple random sample.

# %% [markdown] tags=["lang-zh", "needs-02_kpis.segments"]
# - **显著性检验**：细分群体之间的差异采用基于设计的 t 检验；多组两两比较的 p 值经 Holm 法校正。

# %% [markdown] tags=["lang-en", "needs-02_kpis.segments"]
# - **Significance tests**: differences between segments use design-based t tests; p values of pairwise
#   comparisons are adjusted for multiplicity (Holm).

# %% [markdown] tags=["lang-zh", "needs-02_kpis.wave_tests"]
# - **期间差异**：相邻两期之间的变化采用基于设计的 t 检验。

# %% [markdown] tags=["lang-en", "needs-02_kpis.wave_tests"]
# - **Wave-on-wave tests**: changes between consecutive waves use design-based t tests.

# %% [markdown] tags=["lang-zh", "needs-03_drivers.drivers"]
# - **关键驱动因素**：用 Shapley 值分解（LMG）把回归模型的 R² 分配到各驱动因素，区间来自 bootstrap 重抽样；
#   重要性—表现矩阵按 Martilla 与 James 的方法以平均值为界划分象限。

# %% [markdown] tags=["lang-en", "needs-03_drivers.drivers"]
# - **Key drivers**: Shapley value decomposition of R² (LMG) with bootstrap intervals; the importance–performance
#   map splits at the mean importance and performance (Martilla and James).

# %% [markdown] tags=["lang-zh", "needs-04_persistence"]
# - **持续效应**：在客户×年份面板上做分布滞后回归（客户聚类标准误）；先以 Mundlak 检验（客户均值的聚类稳健 Wald 检验）检验混合回归，
#   被拒绝时持续期取自客户固定效应模型（仅用客户自身的逐年变化），否则取自混合回归并以固定效应模型作稳健性检验；持续期为滞后效应
#   连续显著为正的年数，区间来自按客户重抽样的 bootstrap；显著为负的滞后单独报告；另以次年满意度（前导项）检验反馈。

# %% [markdown] tags=["lang-en", "needs-04_persistence"]
# - **Persistence**: distributed-lag regressions on the customer × year panel with customer-clustered standard
#   errors. A Mundlak test (cluster-robust Wald test of the customers' mean exposures) checks the pooled model
#   against customer fixed effects: when it rejects, the horizon comes from the fixed-effects model (changes within
#   each customer only), otherwise from the pooled model with the fixed-effects model as a robustness check. The
#   horizon is the number of years the lag effects stay significantly positive, with a bootstrap over customers;
#   significantly negative lags are reported as such; a lead of satisfaction tests for feedback from loyalty.

# %% [markdown] tags=["lang-zh", "needs-04_persistence.churn"]
# - **流失风险**：离散时间风险模型（logit），自变量为连续不满意年数。

# %% [markdown] tags=["lang-en", "needs-04_persistence.churn"]
# - **Churn risk**: discrete-time hazard model (logit) on the length of the dissatisfied run.

# %% [markdown] tags=["lang-zh", "needs-05_loyalty.retention"]
# - **留存**：Kaplan–Meier 估计，组间比较用对数秩检验。

# %% [markdown] tags=["lang-en", "needs-05_loyalty.retention"]
# - **Retention**: Kaplan–Meier estimates compared with the log-rank test.

# %% [markdown] tags=["lang-zh", "needs-06_alerts_text.themes"]
# - **评论编码**：基于词典的主题编码（中文经分词），含否定处理；个人信息在引用前隐去。

# %% [markdown] tags=["lang-en", "needs-06_alerts_text.themes"]
# - **Comment coding**: dictionary-based theme coding (Chinese word segmentation, negation handling); personal
#   details are masked before any quote is shown.

# %% [markdown] tags=["lang-zh", "needs-07_employee.engagement"]
# - **员工敬业度**：题目均值指数，改进项目效果用双重差分估计（单位聚类标准误）。

# %% [markdown] tags=["lang-en", "needs-07_employee.engagement"]
# - **Employee engagement**: item-mean index; the programme effect is a difference-in-differences with
#   unit-clustered standard errors.

# %% [markdown] tags=["lang-zh"]
# - **基数规则**：样本量低于报告下限的结果标红，低于匿名下限的结果不予展示。

# %% [markdown] tags=["lang-en"]
# - **Base rules**: results on bases below the reporting minimum are flagged; below the anonymity minimum they are
#   not shown.

# %% [markdown] tags=["lang-zh", "needs-00_summary"]
# - **核心结论**：只有通过检验的发现才写入结论，结论按效应大小（标准化差异）× 证据强度排序。所用检验：

# %% [markdown] tags=["lang-en", "needs-00_summary"]
# - **Key messages**: a finding is stated only when its test supports it; messages are ranked by size of effect
#   (a standardised difference) × strength of evidence. The tests behind them:

# %% [markdown] tags=["lang-zh", "needs-00_summary.scorecard"]
#   - 细分群体与总体比较：基于设计的 t 检验（同一样本的重叠已计入），多重比较按 Holm 法校正；

# %% [markdown] tags=["lang-en", "needs-00_summary.scorecard"]
#   - segments against Total: a design-based t test that accounts for the overlap of segment and Total,
#     Holm-adjusted over the segments;

# %% [markdown] tags=["lang-zh", "needs-00_summary.trend"]
#   - 与上期相比的变化：基于设计的 t 检验；

# %% [markdown] tags=["lang-en", "needs-00_summary.trend"]
#   - changes on the previous wave: design-based t tests;

# %% [markdown] tags=["lang-zh", "needs-00_summary", "needs-03_drivers.drivers"]
#   - 驱动因素领先与否依据 bootstrap 区间，且只有与结果同向变化的驱动因素才列为改进重点；

# %% [markdown] tags=["lang-en", "needs-00_summary", "needs-03_drivers.drivers"]
#   - a driver's lead rests on bootstrap intervals, and only a driver that moves with the outcome is a priority
#     to improve;

# %% [markdown] tags=["lang-zh", "needs-00_summary", "needs-04_persistence.churn"]
#   - 流失风险随不满意年数上升需经 Cochran–Armitage 趋势检验；

# %% [markdown] tags=["lang-en", "needs-00_summary", "needs-04_persistence.churn"]
#   - a churn risk rising with years of dissatisfaction needs a Cochran–Armitage trend test;

# %% [markdown] tags=["lang-zh", "needs-00_summary", "needs-06_alerts_text.backtest"]
#   - 预警规则的提升度区间须高于 1。

# %% [markdown] tags=["lang-en", "needs-00_summary", "needs-06_alerts_text.backtest"]
#   - an alert rule's lift interval must lie above 1.

# %%
cx.tables.settings_table(study.params, **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-reliability"]
# ## 信度与模型诊断

# %% [markdown] tags=["lang-en", "needs-reliability"]
# ## Reliability and model diagnostics

# %% tags=["needs-reliability"]
cx.tables.reliability_table(cx.survey.reliability(study.current(), dimensions=study.scales, codebook=study.codebook, alpha=study.thresholds.alpha, min_base=study.thresholds.min_base, anonymity_min=study.thresholds.anonymity_min), **study.fmt)

# %% tags=["needs-diagnostics"]
drivers = cx.drivers.importance(study.current(), outcome=v.outcome, drivers=study.drivers, weights=study.weight)

# %% tags=["needs-diagnostics"]
cx.tables.diagnostics_table(drivers, name="driver_diagnostics", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 数据来源

# %% [markdown] tags=["lang-en"]
# ## Data sources

# %%
cx.tables.provenance_table(study.imports(), **study.fmt)
