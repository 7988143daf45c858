"""``cxresearch init --client ID --period P --store FILE``: draft the params file of a new client ×
period from the codebook and the data (roles filled in, every guess marked ``# review:``)."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "init",
        help="draft params/<client>-<period>.yaml from the codebook and the data",
        description="Write a params file for a client x period with the variables' roles filled in "
        "from the codebook: outcome, loyalty, NPS (only a 0-10 recommend item), drivers, "
        "processes, segments, weight, the waves and the thresholds of the outcome's scale. Every "
        "guess is marked `# review:`. The file is checked as `cxresearch run` would read it, "
        "written atomically, and never replaces an existing file without --force.",
    )
    p.add_argument("--client", required=True, metavar="ID", help="the client id (as imported)")
    p.add_argument(
        "--period",
        required=True,
        metavar="PERIOD",
        help="the report period, e.g. 2024 (a year is the focus wave)",
    )
    src = p.add_mutually_exclusive_group(required=True)
    src.add_argument("--store", metavar="FILE", help="the study store holding the client's imports")
    src.add_argument(
        "--files",
        nargs="+",
        metavar="DATA",
        help="data files imported at run time instead of a store (need --codebook)",
    )
    p.add_argument(
        "--codebook",
        metavar="FILE",
        default=None,
        help="the codebook YAML (default: the one stored with the client's latest import)",
    )
    p.add_argument(
        "--out",
        "-o",
        metavar="FILE",
        default=None,
        help="the params file to write (default params/<client>-<period>.yaml)",
    )
    p.add_argument(
        "--language",
        choices=("zh", "en"),
        default=None,
        help="report language (default: zh when the codebook has Chinese labels, else en)",
    )
    p.add_argument("--force", action="store_true", help="replace --out if it exists")
    p.set_defaults(func=run)


def run(args) -> int:
    from cxresearch.errors import CXValueError
    from cxresearch.report.scaffold import draft_params, write_params

    out = Path(args.out) if args.out else Path("params") / f"{args.client}-{args.period}.yaml"
    if out.exists() and not args.force:  # refuse before reading anything
        raise CXValueError(f"{out}: already exists; pass --force to replace it")
    draft = draft_params(
        client=args.client,
        period=args.period,
        store=args.store,
        codebook=args.codebook,
        files=args.files,
        out=out,
        language=args.language,
    )
    write_params(draft, out, overwrite=args.force)
    v = draft.params["variables"]
    print(f"wrote {out} for client {args.client!r}, period {args.period!r}")
    for fact in draft.facts:
        print(f"  data: {fact}")
    print(
        f"  outcome {v['outcome']}; nps {v['nps'] or '-'}; loyalty {v['loyalty'] or '-'}; "
        f"weight {v['weight'] or '-'}"
    )
    print(f"  drivers ({len(v['drivers'])}): {', '.join(v['drivers']) or '-'}")
    if v["processes"]:
        print(f"  processes ({len(v['processes'])}): {', '.join(v['processes'])}")
    print(f"  segments: {', '.join(v['by']) or '- (totals only)'}")
    if draft.notes:
        print(f"  {len(draft.notes)} entries to review (marked `# review:` in the file):")
        for key, note in draft.notes:
            print(f"    {key}: {note}")
    print(f"  next: check the file, then cxresearch run {out}")
    return 0
