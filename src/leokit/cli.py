"""The ``leokit`` command.

    leokit synth --scale 0.04 --seed 20261128 --out data_synthetic --format parquet
    leokit validate data_synthetic
    leokit datacard data_synthetic [--output README.md]

Bad input (a scale that is not a positive number, an unknown format, an output folder that
cannot be written) prints one line on stderr naming the argument and what was expected, exits
with code 2 and writes nothing.
"""

import argparse
import math
import re
import sys

__all__ = ["main"]

FORMATS = ("parquet", "csv", "dta", "duckdb")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2


class _Parser(argparse.ArgumentParser):
    """argparse, with errors as one line on stderr (exit 2) instead of usage + message."""

    def error(self, message):
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message}\n")


def _positive_float(text):
    try:
        value = float(text)
    except ValueError:
        value = float("nan")
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"expected a positive number, got {text!r}")
    return value


def _seed(text):
    try:
        value = int(text)
    except ValueError:
        value = -1
    if value < 0:
        raise argparse.ArgumentTypeError(f"expected a whole number >= 0, got {text!r}")
    return value


def _schema(text):
    if not re.match(r"^[A-Za-z0-9_]+$", text or ""):
        raise argparse.ArgumentTypeError(
            f"expected a schema name of letters, digits and underscores, got {text!r}"
        )
    return text


def _build_parser():
    from leokit.schema import DEFAULT_SCHEMA

    parser = _Parser(
        prog="leokit",
        description="Synthetic LEO extract: generate, validate, describe.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    p = sub.add_parser(
        "synth",
        help="generate the synthetic world and write an extract",
        description="Generate the synthetic world and write it as an extract (plus "
        "manifest.json, truth.json and, for parquet, the data card README.md).",
    )
    p.add_argument("--scale", type=_positive_float, default=None,
                   help="size relative to a national cohort (default: the generator's)")  # fmt: skip
    p.add_argument(
        "--seed", type=_seed, default=None, help="random seed (default: the generator's)"
    )
    p.add_argument("--out", required=True, metavar="DIR", help="output folder")
    p.add_argument("--format", choices=FORMATS, default="parquet", help="default: parquet")
    p.add_argument("--schema", type=_schema, default=DEFAULT_SCHEMA,
                   help=f"project schema in the SRS names (default: {DEFAULT_SCHEMA})")  # fmt: skip

    p = sub.add_parser("validate", help="check an extract against the schema registry")
    p.add_argument("path", metavar="DIR", help="extract folder")

    p = sub.add_parser("datacard", help="print the data card (Markdown) of an extract")
    p.add_argument("path", metavar="DIR", help="extract folder")
    p.add_argument("--output", "-o", metavar="FILE", help="write to FILE instead of stdout")

    from leokit.tsql.command import add_parser as add_sql_parser

    add_sql_parser(sub)
    return parser


def _err(prog, message, code):
    sys.stderr.write(f"{prog}: error: {message}\n")
    return code


def _synth(args):
    import leokit.synth as synth
    from leokit.datacard import render_datacard
    from leokit.extract import ExtractError
    from leokit.schema import REGISTRY
    from leokit.synth.writers import ExtractWriter, WriteError, check_target

    prog = "leokit synth"
    try:
        check_target(args.out)
    except WriteError as e:
        return _err(prog, f"argument --out: {e}", EXIT_USAGE)
    scale = args.scale if args.scale is not None else synth.DEFAULT_SCALE
    seed = args.seed if args.seed is not None else synth.DEFAULT_SEED
    card = args.format == "parquet"
    try:
        # each table is written as soon as it is generated: a national extract does not fit
        # in memory all at once
        with ExtractWriter(args.out, fmt=args.format, progress=True, schema=args.schema,
                           observe=card) as writer:  # fmt: skip
            world = synth.generate(scale, seed, progress=True, sink=writer.add)
            params = dict(world.params or {})
            params.setdefault("scale", scale)
            params.setdefault("seed", seed)
            params.setdefault("generator_version", getattr(synth, "GENERATOR_VERSION", None))
            extra = None
            if card:
                extra = {
                    "README.md": lambda m: render_datacard(REGISTRY, m, observed=writer.observed)
                }
            manifest = writer.finish(truth=world.truth, params=params, extra_files=extra)
    except (WriteError, ExtractError) as e:
        return _err(prog, str(e), EXIT_FAILED)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    files = ["manifest.json"] + (["truth.json"] if world.truth is not None else [])
    files += ["README.md"] if extra else []
    print(
        f"wrote {len(manifest['tables'])} views ({rows:,} rows) to {args.out} "
        f"({args.format}), with {', '.join(files)}"
    )
    return EXIT_OK


def _validate(args):
    from leokit.extract import ExtractError
    from leokit.schema.validate import validate_extract

    try:
        report = validate_extract(args.path)
    except ExtractError as e:
        return _err("leokit validate", f"argument DIR: {e}", EXIT_USAGE)
    print(report.summary())
    return EXIT_OK if report.ok else EXIT_FAILED


def _datacard(args):
    from leokit.datacard import render_datacard, tables_from_extract
    from leokit.extract import ExtractError
    from leokit.schema import REGISTRY

    try:
        tables = tables_from_extract(args.path)
        from leokit.extract import open as open_extract

        ex = open_extract(args.path)
        manifest = ex.manifest
        ex.close()
    except ExtractError as e:
        return _err("leokit datacard", f"argument DIR: {e}", EXIT_USAGE)
    text = render_datacard(REGISTRY, manifest=manifest, tables=tables)
    if args.output:
        try:
            with open(args.output, "w", encoding="utf-8", newline="\n") as f:
                f.write(text)
        except OSError as e:
            return _err("leokit datacard", f"argument --output: {e.strerror}: {args.output}", 2)
    else:
        sys.stdout.write(text)
    return EXIT_OK


def main(argv=None):
    parser = _build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as e:  # bad input (exit 2) or --help (exit 0)
        return e.code
    if args.command is None:
        parser.print_help(sys.stderr)
        return EXIT_USAGE
    from leokit.tsql.command import run_command as _sql

    handler = {"synth": _synth, "validate": _validate, "datacard": _datacard, "sql": _sql}[
        args.command
    ]
    return handler(args)


if __name__ == "__main__":
    sys.exit(main())
