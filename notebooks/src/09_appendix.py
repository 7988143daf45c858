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

# %%
segment_bases = cx.survey.mean(study.current(), score=v.outcome, by=v.by[0], **study.design)

# %%
cx.tables.bases(segment_bases, name="bases_by_segment", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 调查实施与指标定义

# %% [markdown] tags=["lang-en"]
# ## Fieldwork and definitions

# %%
cx.tables.fieldwork_table(study.params, **study.fmt)

# %%
cx.tables.definitions_table(study.params, drivers=study.drivers, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 方法
#
# - **加权估计**：均值、比例和 NPS 均按调查权重（抽样权重）计算，标准误采用线性化方法；有效样本量按 Kish 公式计算。
# - **显著性检验**：年度变化和细分群体之间的差异采用基于设计的 t 检验；多组两两比较的 p 值经 Holm 法校正。
# - **关键驱动因素**：用 Shapley 值分解（LMG）把回归模型的 R² 分配到各驱动因素，区间来自 bootstrap 重抽样；
#   重要性—表现矩阵按 Martilla 与 James 的方法以平均值为界划分象限。
# - **持续效应**：在客户×年份面板上做分布滞后回归（客户聚类标准误）；持续期为滞后效应连续显著为正的年数，区间来自按客户重抽样的 bootstrap；
#   另以客户固定效应模型作稳健性检验。
# - **流失风险**：离散时间风险模型（logit），自变量为连续不满意年数。
# - **留存**：Kaplan–Meier 估计，组间比较用对数秩检验。
# - **评论编码**：基于词典的主题编码（中文经分词），含否定处理；个人信息在引用前隐去。
# - **员工敬业度**：题目均值指数，改进项目效果用双重差分估计（单位聚类标准误）。
# - **基数规则**：样本量低于报告下限的结果标红，低于匿名下限的结果不予展示。
# - **核心结论**：只有通过检验的发现才写入结论。细分群体与总体比较采用基于设计的 t 检验（同一样本的重叠已计入），多重比较按 Holm 法校正；
#   驱动因素领先与否依据 bootstrap 区间；流失风险随不满意年数上升需经 Cochran–Armitage 趋势检验；预警的提升度区间须高于 1。
#   结论按效应大小（标准化差异）× 证据强度排序。

# %% [markdown] tags=["lang-en"]
# ## Methods
#
# - **Weighted estimates**: means, shares and NPS use the survey (sampling) weights with linearised standard
#   errors; effective bases follow Kish.
# - **Significance tests**: changes between waves and differences between segments use design-based t tests;
#   p values of pairwise comparisons are adjusted for multiplicity (Holm).
# - **Key drivers**: Shapley value decomposition of R² (LMG) with bootstrap intervals; the importance–performance
#   map splits at the mean importance and performance (Martilla and James).
# - **Persistence**: distributed-lag regressions on the customer × year panel with customer-clustered standard
#   errors; the horizon is the number of years the lag effects stay significantly positive, with a bootstrap over
#   customers, and a customer fixed-effects model as a robustness check.
# - **Churn risk**: discrete-time hazard model (logit) on the length of the dissatisfied run.
# - **Retention**: Kaplan–Meier estimates compared with the log-rank test.
# - **Comment coding**: dictionary-based theme coding (Chinese word segmentation, negation handling); personal
#   details are masked before any quote is shown.
# - **Employee engagement**: item-mean index; the programme effect is a difference-in-differences with
#   unit-clustered standard errors.
# - **Base rules**: results on bases below the reporting minimum are flagged; below the anonymity minimum they are
#   not shown.
# - **Key messages**: a finding is stated only when its test supports it. Segments are compared with Total by a
#   design-based t test that accounts for the overlap of segment and Total, Holm-adjusted over the segments; a
#   driver's lead rests on bootstrap intervals; a churn risk rising with years of dissatisfaction needs a
#   Cochran–Armitage trend test; an alert rule's lift interval must lie above 1. Messages are ranked by size of
#   effect (a standardised difference) × strength of evidence.

# %%
cx.tables.settings_table(study.params, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 信度与模型诊断

# %% [markdown] tags=["lang-en"]
# ## Reliability and model diagnostics

# %%
cx.tables.reliability_table(cx.survey.reliability(study.current(), dimensions=study.scales, codebook=study.codebook, alpha=study.thresholds.alpha, min_base=study.thresholds.min_base, anonymity_min=study.thresholds.anonymity_min), **study.fmt)

# %%
drivers = cx.drivers.importance(study.current(), outcome=v.outcome, drivers=study.drivers, weights=study.weight)

# %%
cx.tables.diagnostics_table(drivers, name="driver_diagnostics", **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 数据来源

# %% [markdown] tags=["lang-en"]
# ## Data sources

# %%
cx.tables.provenance_table(study.imports(), **study.fmt)
