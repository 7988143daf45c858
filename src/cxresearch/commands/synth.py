"""``cxresearch synth --out DIR --seed N``: write the demo study's files."""

from __future__ import annotations

import time


def register(sub) -> None:
    p = sub.add_parser(
        "synth",
        help="generate the demo study (a machinery dealer's panel with known truth) into a folder",
        description="Generate the demo study with its known truth and write its files (GBK CSV, xlsx, "
        "sav and parquet survey waves, CRM extract, engagement survey, codebook.yaml, truth.json).",
    )
    p.add_argument(
        "--out", required=True, help="folder to write the files into (created if absent)"
    )
    p.add_argument("--seed", type=int, default=2026, help="random seed (default 2026)")
    p.add_argument(
        "--customers", type=int, default=4000, help="customers at the start (default 4000)"
    )
    p.add_argument("--waves", type=int, default=12, help="yearly waves (default 12)")
    p.add_argument(
        "--first-wave", type=int, default=2014, help="year of the first wave (default 2014)"
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from cxresearch import synth

    t0 = time.perf_counter()
    study = synth.generate(
        seed=args.seed, n_customers=args.customers, n_waves=args.waves, first_wave=args.first_wave
    )
    paths = synth.write(study, args.out)
    print(
        f"demo study (seed {args.seed}) written to {args.out} in {time.perf_counter() - t0:.1f} s:"
    )
    print(
        f"  responses {len(study.responses):,} rows, customers {len(study.customers):,}, "
        f"employees {len(study.employees):,}, comments {len(study.comments):,}"
    )
    for name, path in paths.items():
        print(f"  {name:<14} {path}")
    return 0
