# %% [markdown] tags=["lang-zh"]
# # 数据质量与样本基数
#
# 本章说明报告所依据的样本：各年份的受访人数、加权后的有效样本量，以及各细分群体的样本基数。
# 样本量低于报告下限的结果会被标注，低于匿名下限的结果不予展示。

# %% [markdown] tags=["lang-en"]
# # Data quality and bases
#
# This chapter describes the sample behind the report: respondents per wave, the effective base after
# weighting, and the base of each segment. Results on a base below the reporting minimum are flagged;
# results below the anonymity minimum are not shown.

# %% tags=["parameters"]
params_file = "../params/demo.yaml"
store_file = None
lang = None

# %%
import cxresearch as cx

study = cx.report.open_study(params_file, store=store_file, lang=lang)

# %% tags=["needs-scope"]
study.plan.say_scope(**study.fmt)

# %%
bases = cx.survey.mean(study.responses(), score=study.variables.outcome, by="wave", **study.design)

# %%
cx.tables.say_bases(bases, wave=study.wave, **study.fmt)

# %% [markdown] tags=["lang-zh"]
# ## 各年份样本基数

# %% [markdown] tags=["lang-en"]
# ## Bases by wave

# %%
cx.tables.bases(bases, name="bases_by_wave", **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-segments"]
# ## 本期各细分群体样本基数

# %% [markdown] tags=["lang-en", "needs-segments"]
# ## Bases by segment, current wave

# %% tags=["needs-segments"]
segment_bases = cx.survey.mean(study.current(), score=study.variables.outcome, by=study.segment, **study.design)

# %% tags=["needs-segments"]
cx.tables.bases(segment_bases, name="bases_by_segment", **study.fmt)

# %% [markdown] tags=["lang-zh", "needs-missing"]
# ## 缺失回答
#
# 问卷中"不知道""拒答"等回答单独记录，不计入均值和比例。

# %% [markdown] tags=["lang-en", "needs-missing"]
# ## Missing answers
#
# Answers such as "don't know" and "refused" are kept apart and left out of means and shares.

# %% tags=["needs-missing"]
cx.tables.missing_answers(study.missing_codes(), **study.fmt)
