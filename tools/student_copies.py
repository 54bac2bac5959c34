"""Build student copies of the notebooks: exercises kept, solutions removed.

    python tools/student_copies.py                 # notebooks/NN_*.ipynb -> student/
    python tools/student_copies.py --out /tmp/s    # elsewhere

A solution is a code cell tagged `solution` (CONVENTIONS.md). In the copy its source becomes a
one-line pointer back to the exercise and its outputs are dropped; every other cell is kept
with its outputs cleared, so students run the notebook themselves. The copies are built from
the committed references and are not committed (student/ is ignored by git).
"""

import argparse
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PLACEHOLDER = "# Solution removed in the student copy: write your answer in the cell above."


def is_solution(cell):
    return cell.cell_type == "code" and "solution" in cell.metadata.get("tags", [])


def student_copy(nb):
    """A copy of the notebook node with solutions removed and outputs cleared."""
    import copy

    out = copy.deepcopy(nb)
    for cell in out.cells:
        if cell.cell_type != "code":
            continue
        if is_solution(cell):
            cell.source = PLACEHOLDER
            cell.metadata["tags"] = [t for t in cell.metadata["tags"] if t != "solution"] + [
                "solution-removed"
            ]
        cell.outputs = []
        cell.execution_count = None
    return out


def build(out_dir, notebooks_dir=ROOT / "notebooks"):
    import nbformat

    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    written = []
    for path in sorted(Path(notebooks_dir).glob("[0-9][0-9]_*.ipynb")):
        nb = nbformat.read(str(path), as_version=4)
        target = out_dir / path.name
        nbformat.write(student_copy(nb), str(target))
        written.append(target)
    return written


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "student"))
    args = ap.parse_args(argv)
    written = build(args.out)
    for path in written:
        print(f"wrote {path}")
    if not written:
        print("no notebooks/NN_*.ipynb found", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
