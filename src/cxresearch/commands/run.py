"""``cxresearch run PARAMS.yaml``: one client report (report.<lang>.html/.pdf, tables.<lang>.xlsx, manifest)."""

from __future__ import annotations

import sys


def register(sub) -> None:
    p = sub.add_parser(
        "run",
        help="render one report from a params file",
        description="Validate the params file, execute the study notebooks with papermill and write "
        "reports/<client>/<period>/, named with the language so languages sit side by side: "
        "report.<lang>.html, report.<lang>.pdf, tables.<lang>.xlsx, the executed notebooks under notebooks/<lang>/ "
        "and manifest.<lang>.json.",
    )
    p.add_argument("params", help="params YAML file (e.g. params/demo.yaml)")
    p.add_argument(
        "--out",
        default=None,
        metavar="DIR",
        help="reports root (default: the params' output.dir, else ./reports)",
    )
    p.add_argument(
        "--lang", choices=("zh", "en"), default=None, help="override the report language"
    )
    p.add_argument(
        "--formats",
        default=None,
        metavar="LIST",
        help="comma-separated subset of html,pdf,xlsx,tabs,pptx (default: the params' output.formats)",
    )
    p.add_argument(
        "--plan",
        action="store_true",
        help="print the study plan (chapters and sections that run, and why others are left "
        "out) and stop; nothing runs",
    )
    p.set_defaults(func=run)


def run(args) -> int:
    from cxresearch.report import run_report

    if getattr(args, "plan", False):
        from cxresearch.report import load_params, study_plan

        plan = study_plan(args.params)
        print(plan.to_text(lang=args.lang or load_params(args.params).language))
        return 0

    formats = [f.strip() for f in args.formats.split(",") if f.strip()] if args.formats else None
    print(f"running {args.params} ...", file=sys.stderr)
    result = run_report(args.params, out_root=args.out, formats=formats, lang=args.lang)
    t = result.timings
    print(
        f"report written in {t.get('total', 0):.1f} s "
        f"(notebooks {t.get('execute', 0):.1f} s, html {t.get('html', 0):.1f} s, pdf {t.get('pdf', 0):.1f} s)"
    )
    for key, value in result.as_dict().items():
        print(f"  {key:<10} {value}")
    for line in result.skipped:
        print(f"  chapter left out: {line}")
    for line in result.fallbacks:
        print(f"  note: {line}")
    if result.warnings:
        print(f"  {len(result.warnings)} data-quality note(s) listed in the report's appendix")
    return 0
