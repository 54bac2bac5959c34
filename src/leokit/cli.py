"""The ``leokit`` command.

    leokit synth --scale 0.04 --seed 20261128 --out data_synthetic --format parquet
    leokit validate data_synthetic [--allow-missing-views] [--no-manifest]
    leokit datacard data_synthetic [--output README.md]

Bad input (a scale that is not a positive number or is below the smallest extract the
generator makes, an unknown format, an output folder that cannot be written or that holds
anything but an extract leokit wrote) prints one line on stderr naming the argument and what
was expected, exits with code 2 and writes nothing. A failure while writing exits with 1 and
leaves the output folder as it was; so does an interruption (Ctrl-C, SIGTERM: exit 130/143).
"""

import argparse
import math
import os
import re
import signal
import sys

__all__ = ["main"]

FORMATS = ("parquet", "csv", "dta", "duckdb")
EXIT_OK, EXIT_FAILED, EXIT_USAGE = 0, 1, 2
DATACARD_TITLE = "# Synthetic LEO extract"  # the data card's first line


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


def _path(text):
    if not text or not text.strip():
        raise argparse.ArgumentTypeError(f"expected a path, got {text!r}")
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
        "manifest.json, truth.json and, for parquet, the data card README.md). DIR must be "
        "new, empty, or an extract leokit wrote (replaced as a whole); anything else is refused.",
    )
    p.add_argument("--scale", type=_positive_float, default=None,
                   help="size relative to a national cohort (default: the generator's)")  # fmt: skip
    p.add_argument(
        "--seed", type=_seed, default=None, help="random seed (default: the generator's)"
    )
    p.add_argument("--out", required=True, type=_path, metavar="DIR", help="output folder")
    p.add_argument("--format", choices=FORMATS, default="parquet", help="default: parquet")
    p.add_argument("--schema", type=_schema, default=DEFAULT_SCHEMA,
                   help=f"project schema in the SRS names (default: {DEFAULT_SCHEMA})")  # fmt: skip

    p = sub.add_parser(
        "validate",
        help="check an extract against the schema registry and its manifest",
        description="Check an extract folder: its manifest.json (every view it lists present, "
        "row counts and content checksums), and every view against the schema registry. Exit "
        "0 when it passes, 1 when it does not.",
    )
    p.add_argument("path", metavar="DIR", type=_path, help="extract folder")
    p.add_argument(
        "--allow-missing-views",
        action="store_true",
        help="views of the registry the folder lacks are listed, not failed (a real extract "
        "often has only some views); views its manifest lists must still be there",
    )
    p.add_argument(
        "--no-manifest",
        action="store_true",
        help="check a folder without manifest.json (views you exported yourself): the "
        "registry checks run, the checksums cannot",
    )

    p = sub.add_parser("datacard", help="print the data card (Markdown) of an extract")
    p.add_argument("path", metavar="DIR", type=_path, help="extract folder")
    p.add_argument("--output", "-o", metavar="FILE", type=_path,
                   help="write to FILE (new, or a data card written before) instead of stdout")  # fmt: skip

    from leokit.tsql.command import add_parser as add_sql_parser

    add_sql_parser(sub)
    return parser


def _err(prog, message, code):
    text = " ".join(str(message).split())  # one line, whatever the message held
    sys.stderr.write(f"{prog}: error: {text}\n")
    return code


# ------------------------------------------------------------------------------ synth
class _Interrupted(BaseException):
    """SIGINT or SIGTERM while writing: unwinds like KeyboardInterrupt, so the writer cleans up."""

    def __init__(self, signum):
        super().__init__(signum)
        self.signum = signum


class _CleanUpOnSignals:
    """Turn SIGINT and SIGTERM into _Interrupted in the main thread (once: a second signal
    while cleaning up is ignored, so the clean-up finishes). SIGKILL cannot be caught: what a
    killed run leaves is recognised and removed by the next run for the same folder."""

    SIGNALS = ("SIGINT", "SIGTERM", "SIGHUP")

    def __enter__(self):
        self._before = {}
        for name in self.SIGNALS:
            signum = getattr(signal, name, None)
            if signum is not None:
                self._before[signum] = signal.signal(signum, self._raise)
        return self

    def _raise(self, signum, frame):
        for s in self._before:
            signal.signal(s, signal.SIG_IGN)
        raise _Interrupted(signum)

    def __exit__(self, *exc):
        for signum, handler in self._before.items():
            signal.signal(signum, handler)


def _min_scale():
    """The smallest --scale the generator makes as asked (below it, sizes are clamped),
    rounded up to three significant digits, so that the value the message shows works."""
    from leokit.synth import config

    exact = config.Sizes(1e-12).pupils_per_cohort / config.NATIONAL_COHORT
    step = 10.0 ** (math.floor(math.log10(exact)) - 2)
    return math.ceil(exact / step - 1e-9) * step


def _synth(args):
    import leokit.synth as synth
    from leokit.datacard import render_datacard
    from leokit.extract import ExtractError
    from leokit.extract.writer import ExtractWriter, WriteError, check_target
    from leokit.schema import REGISTRY

    prog = "leokit synth"
    try:
        check_target(args.out)
    except WriteError as e:
        return _err(prog, f"argument --out: {e}", EXIT_USAGE)
    smallest = _min_scale()
    if args.scale is not None and args.scale < smallest:
        return _err(
            prog,
            f"argument --scale: {args.scale:g} is below the smallest extract the generator "
            f"makes, --scale {smallest:.3g} (one national cohort is 1)",
            EXIT_USAGE,
        )
    scale = args.scale if args.scale is not None else synth.DEFAULT_SCALE
    seed = args.seed if args.seed is not None else synth.DEFAULT_SEED
    card = args.format == "parquet"
    writer = None
    try:
        with _CleanUpOnSignals():
            # each table is written as soon as it is generated: a national extract does not
            # fit in memory all at once
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
                        "README.md": lambda m: render_datacard(
                            REGISTRY, m, observed=writer.observed
                        )
                    }
                manifest = writer.finish(truth=world.truth, params=params, extra_files=extra)
    except _Interrupted as e:
        name = signal.Signals(e.signum).name
        if writer is not None and writer.done:
            _err(prog, f"interrupted by {name} after the extract was written to {args.out}", 1)
        else:
            _err(prog, f"interrupted by {name}: nothing written, {args.out} left as it was", 1)
        return 128 + e.signum
    except (WriteError, ExtractError) as e:
        return _err(prog, str(e), EXIT_FAILED)
    except MemoryError:
        return _err(
            prog,
            f"not enough memory for --scale {scale:g} (a national cohort, --scale 1, needs "
            f"about 8 GB); nothing written, {args.out} left as it was",
            EXIT_FAILED,
        )
    except OSError as e:
        where = e.filename or args.out
        return _err(prog, f"cannot write {where}: {e.strerror or e}; {args.out} left as it was", 1)
    rows = sum(t["rows"] for t in manifest["tables"].values())
    files = ["manifest.json"] + (["truth.json"] if world.truth is not None else [])
    files += ["README.md"] if extra else []
    print(
        f"wrote {len(manifest['tables'])} views ({rows:,} rows) to {args.out} "
        f"({args.format}), with {', '.join(files)}"
    )
    _note_leftovers(args.out)
    return EXIT_OK


def _note_leftovers(out):
    """Name the temporary folders interrupted runs left beside `out` that are still there."""
    from leokit.extract.writer import leftovers

    for path, pid, _ in leftovers(out):
        if pid is None:
            print(
                f"note: {path} was left by an interrupted run of an older leokit; remove it "
                "yourself once you are sure no such run is going on"
            )
        else:
            print(
                f"note: {path} was left by an interrupted `leokit synth` (process {pid}); the "
                f"next `leokit synth --out {out}` removes it once that process has ended"
            )


# ------------------------------------------------------------------------------ validate
def _validate(args):
    from leokit.extract import ExtractError
    from leokit.extract.validate import validate_extract

    prog = "leokit validate"
    if not os.path.exists(args.path):
        return _err(prog, f"argument DIR: no extract at {args.path}: it does not exist", 2)
    if not os.path.isdir(args.path):
        return _err(prog, f"argument DIR: {args.path} is a file; give the extract folder", 2)
    try:
        report = validate_extract(
            args.path,
            require_manifest=not args.no_manifest,
            allow_missing_views=args.allow_missing_views,
        )
    except ExtractError as e:
        return _err(prog, str(e), EXIT_FAILED)
    print(report.summary())
    _note_leftovers(args.path)
    return EXIT_OK if report.ok else EXIT_FAILED


# ------------------------------------------------------------------------------ datacard
def _is_datacard(path):
    try:
        with open(path, encoding="utf-8") as f:
            return f.readline().rstrip("\n") == DATACARD_TITLE + ": data card"
    except (OSError, UnicodeDecodeError):
        return False


def _write_card(path, text):
    """Write the card next to `path` and rename it into place: never half a file."""
    folder = os.path.dirname(os.path.abspath(path))
    tmp = os.path.join(folder, f".{os.path.basename(path)}.tmp-{os.getpid()}")
    try:
        with open(tmp, "w", encoding="utf-8", newline="\n") as f:
            f.write(text)
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.remove(tmp)
        raise


def _datacard(args):
    from leokit.datacard import render_datacard, tables_from_extract
    from leokit.extract import ExtractError, open_extract
    from leokit.schema import REGISTRY

    prog = "leokit datacard"
    if args.output:
        out = args.output
        if os.path.isdir(out):
            return _err(prog, f"argument --output: {out} is a folder; give a file name", 2)
        if os.path.exists(out) and not _is_datacard(out):
            return _err(
                prog,
                f"argument --output: refusing to replace {out}: it is not a data card leokit "
                "wrote; choose a new file name",
                EXIT_USAGE,
            )
        parent = os.path.dirname(os.path.abspath(out))
        if not os.path.isdir(parent):
            return _err(prog, f"argument --output: the folder {parent} does not exist", 2)
    try:
        ex = open_extract(args.path)
        manifest = ex.manifest
        ex.close()
        tables = tables_from_extract(args.path)
    except ExtractError as e:
        return _err(prog, f"argument DIR: {e}", EXIT_USAGE)
    text = render_datacard(REGISTRY, manifest=manifest, tables=tables)
    if args.output:
        try:
            _write_card(args.output, text)
        except OSError as e:
            return _err(prog, f"argument --output: {e.strerror}: {args.output}", EXIT_USAGE)
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
