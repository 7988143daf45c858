"""The consultant's command line: ``cxresearch <command> ...``.

Each command lives in its own module under :mod:`cxresearch.commands` and exposes
``register(subparsers)``, which adds its sub-parser and sets ``func`` (called with the parsed
arguments, returning an exit code). Commands are imported lazily so ``cxresearch --help`` is fast.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from cxresearch.errors import CXError

# (command module under cxresearch.commands) — each registers one or more sub-commands.
COMMAND_MODULES = ("synth", "demo", "import_", "codebook", "init", "run", "batch")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="cxresearch",
        description="Customer-experience research workbench: import survey data, run diagnostic studies.",
    )
    parser.add_argument("--version", action="version", version=_version())
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in COMMAND_MODULES:
        try:
            module = importlib.import_module(f"cxresearch.commands.{name}")
        except ModuleNotFoundError as exc:  # a command whose module is not there yet
            if exc.name == f"cxresearch.commands.{name}":
                continue
            raise
        module.register(sub)
    return parser


def _version() -> str:
    from cxresearch import __version__

    return f"cxresearch {__version__}"


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if not getattr(args, "func", None):
        parser.print_help()
        return 2
    try:
        return int(args.func(args) or 0)
    except CXError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
