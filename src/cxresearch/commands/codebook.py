"""``cxresearch codebook draft DATA --out codebook.yaml``: draft a codebook from a data file.

Also ``cxresearch codebook check CODEBOOK [DATA...]``: validate a codebook and, optionally, read
data files against it (nothing is written).
"""

from __future__ import annotations

import sys
import warnings
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "codebook",
        help="draft a codebook from a data file, or check one",
        description="Work with study codebooks (YAML): draft one from a .sav, CSV, Excel or Parquet "
        "file, or check one (and data files against it).",
    )
    csub = p.add_subparsers(dest="codebook_command", metavar="SUBCOMMAND")

    d = csub.add_parser(
        "draft",
        help="write a codebook drafted from a data file",
        description="Draft a codebook from DATA: variable and value labels, measurement levels and "
        "user-missing values from a .sav; kinds guessed from the values of CSV/Excel/Parquet. "
        "Likely missing-value codes (-99, 98, 99 ...) are proposed and every guess to check is "
        "marked with a `review:` note. The draft loads as is and imports DATA.",
    )
    d.add_argument("data", metavar="DATA", help="the data file (.sav, .csv, .xlsx, .parquet)")
    d.add_argument("--out", "-o", required=True, help="the codebook YAML to write")
    d.add_argument("--encoding", default=None, help="text encoding of DATA (default: detected)")
    d.add_argument("--sheet", default=None, help="worksheet of an .xlsx (default: the first)")
    d.add_argument(
        "--study", default=None, help="study id written in the draft (default: file stem)"
    )
    d.add_argument(
        "--max-levels", type=int, default=20, help="most distinct values of a category (default 20)"
    )
    d.add_argument("--force", action="store_true", help="replace --out if it exists")
    d.set_defaults(func=run_draft)

    c = csub.add_parser(
        "check",
        help="validate a codebook, and data files against it",
        description="Load CODEBOOK and report its problems; read each DATA file against it and "
        "report every problem found. Writes nothing.",
    )
    c.add_argument("codebook", metavar="CODEBOOK", help="the codebook YAML")
    c.add_argument("data", metavar="DATA", nargs="*", help="data files to read against it")
    c.add_argument("--wave", type=int, default=None, help="wave of files without a wave column")
    c.set_defaults(func=run_check)

    p.set_defaults(func=lambda args: _help(p))


def _help(parser) -> int:
    parser.print_help()
    return 2


def _sheet(value: str | None):
    if value is not None and value.isdigit():
        return int(value)
    return value


def run_draft(args) -> int:
    from cxresearch.io.draft import write_draft

    draft = write_draft(
        args.data,
        args.out,
        overwrite=args.force,
        encoding=args.encoding,
        sheet=_sheet(args.sheet),
        study=args.study,
        max_levels=args.max_levels,
    )
    cb = draft.codebook
    enc = f", encoding {draft.encoding}" if draft.encoding else ""
    print(
        f"drafted {len(cb.variables)} variables from {Path(args.data).name} "
        f"({draft.format}{enc}) into {args.out}"
    )
    kinds: dict[str, int] = {}
    for v in cb.variables:
        kinds[v.kind.value] = kinds.get(v.kind.value, 0) + 1
    print("  kinds: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
    n_codes = sum(len(v.missing_codes) for v in cb.variables)
    if n_codes:
        print(f"  missing-value codes: {n_codes} (per variable)")
    if draft.notes:
        print(f"  {len(draft.notes)} guesses to review (marked `review:` in the file)")
    return 0


def run_check(args) -> int:
    from cxresearch import codebook
    from cxresearch import io as cxio
    from cxresearch.errors import DataValidationError

    cb = codebook.load(args.codebook)
    print(
        f"{args.codebook}: {len(cb.variables)} variables, {len(cb.multi_response)} multi-response sets: OK"
    )
    failed = 0
    for path in args.data:
        try:
            with warnings.catch_warnings(record=True) as caught:
                warnings.simplefilter("always")
                res = cxio.read(path, cb, wave=args.wave)
        except DataValidationError as exc:
            failed += 1
            print(str(exc), file=sys.stderr)
            continue
        extra = (
            f"; {len(res.extra_columns)} undeclared columns left out" if res.extra_columns else ""
        )
        print(f"{path}: {res.rows} rows, {len(res.missing)} coded missing answers{extra}: OK")
        for w in caught:
            if not issubclass(w.category, cxio.UndeclaredColumnWarning):
                print(f"  warning: {w.message}", file=sys.stderr)
    return 1 if failed else 0
