"""Make sure the default extract is present, valid and matches its manifest; regenerate if not.

python tools/ensure_extract.py data_synthetic

Regenerating goes through `leokit synth --out`, which replaces only an extract leokit wrote:
a folder holding anything else is left alone and the command says why (exit code 2).
"""

import subprocess
import sys
from pathlib import Path


def ok(folder):
    """(usable, why): the folder passes `leokit validate` (manifest, rows, checksums, registry)."""
    if not folder.exists():
        return False, "no such folder"
    from leokit.extract import ExtractError
    from leokit.extract.validate import validate_extract

    try:
        report = validate_extract(str(folder))
    except ExtractError as e:
        return False, str(e)
    if not report.ok:
        return False, report.summary().splitlines()[0]
    from leokit.extract import read_manifest

    m = read_manifest(folder)
    return True, "{} views, seed {}, scale {}".format(len(m["tables"]), m["seed"], m["scale"])


def main(argv):
    folder = Path(argv[1] if len(argv) > 1 else "data_synthetic")
    good, why = ok(folder)
    if good:
        print(f"default extract present in {folder}/ ({why})")
        return 0
    print(f"default extract not usable ({why}): regenerating")
    return subprocess.call([sys.executable, "-m", "leokit.cli", "synth", "--out", str(folder)])


if __name__ == "__main__":
    sys.exit(main(sys.argv))
