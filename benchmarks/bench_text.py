"""Benchmark: Chinese comments coded per second by cxresearch.text.code_comments.

Builds 100,000 Chinese comments from clause templates with random fillers (numbers, places, parts
and time spans, so most comments are distinct), loads jieba's dictionary first (not timed), then
times ``code_comments`` on

* comments whose every clause is new (each clause carries a number: the bare per-comment path,
  one jieba.lcut over the comment and dictionary look-ups, no cache hit at all),
* all-distinct comments (each carries a ticket number, but its other clauses recur and are
  served from the clause memo),
* templated comments (about a third distinct), and
* a realistic mix where 30% of comments are short stock answers repeated many times ("很好",
  "满意"), which the per-call cache codes once.

Run: ``python benchmarks/bench_text.py [n]``. Target: at least 5,000 comments per second.
"""

from __future__ import annotations

import time

import numpy as np
import pandas as pd

from cxresearch import text

CLAUSES = [
    "服务态度{a}",
    "维修师傅很专业",
    "技术水平一般",
    "等了{n}天才修好",
    "配件{p}缺货，等了{n}周",
    "价格太贵了",
    "报价比{c}高{n}百元",
    "电话转来转去没人管",
    "回复不及时",
    "机器质量不错，油耗低",
    "{c}网点排队{n}个小时",
    "销售经理很热情",
    "挖掘机经常出故障",
    "性价比还可以",
    "希望配件到货快一点",
    "客服回电很快",
    "整体满意",
    "不是很满意，推来推去",
]
FILL = {
    "a": ["很好", "不错", "很差", "一般", "非常热情", "冷淡"],
    "c": ["北京", "上海", "广州", "成都", "武汉", "西安", "沈阳", "郑州"],
    "p": ["液压泵", "滤芯", "履带", "发动机", "油缸", "齿轮"],
}
STOCK = ["很好", "满意", "没有意见", "无", "一般", "还行"]


def make_comments(
    n: int,
    *,
    seed: int = 1,
    repeated: float = 0.0,
    unique: bool = False,
    every_clause: bool = False,
) -> list[str]:
    rng = np.random.default_rng(seed)
    out = []
    for i in range(n):
        if repeated and rng.random() < repeated:
            out.append(STOCK[rng.integers(len(STOCK))])
            continue
        k = int(rng.integers(1, 4))
        parts = []
        for j in rng.choice(len(CLAUSES), size=k, replace=False):
            s = CLAUSES[j]
            s = s.replace("{n}", str(int(rng.integers(1, 30))))
            for key, vals in FILL.items():
                s = s.replace("{" + key + "}", vals[int(rng.integers(len(vals)))])
            if every_clause:
                s += f"{int(rng.integers(1_000_000))}号"
            parts.append(s)
        tail = f"工单{i:06d}。" if unique else "。"
        out.append("，".join(parts) + tail)
    return out


def main(n: int = 100_000) -> None:
    t0 = time.perf_counter()
    text.code_comments(pd.DataFrame({"comment": ["服务很好"]}))  # loads jieba's dictionary
    t_init = time.perf_counter() - t0
    print(f"jieba dictionary + codeframe set-up: {t_init:.2f} s (not counted below)")
    cases = (
        ("every clause new", 0.0, True, True),
        ("all distinct", 0.0, True, False),
        ("templated", 0.0, False, False),
        ("30% stock answers", 0.3, False, False),
    )
    for label, rep, unique, every in cases:
        comments = make_comments(n, repeated=rep, unique=unique, every_clause=every)
        df = pd.DataFrame({"comment": comments})
        t0 = time.perf_counter()
        res = text.code_comments(df)
        dt = time.perf_counter() - t0
        mean_len = float(np.mean([len(c) for c in comments]))
        print(
            f"{label:>18}: {n:,} comments (mean {mean_len:.0f} chars, {res.n_unique:,} distinct) "
            f"in {dt:.2f} s = {n / dt:,.0f} comments/s; "
            f"{int(res.codes['n_themes'].gt(0).sum()):,} with a theme"
        )


if __name__ == "__main__":
    import argparse

    parser = argparse.ArgumentParser(
        description="Comments coded per second (issue 7 target: 5,000/s)."
    )
    parser.add_argument(
        "comments", nargs="?", type=int, default=100_000, help="comments (default 100,000)"
    )
    main(parser.parse_args().comments)
