"""Make sure the default extract is present, valid and matches its manifest; regenerate if not.

python tools/ensure_extract.py data_synthetic
"""

import json
import subprocess
import sys
from pathlib import Path


def ok(folder):
    man = folder / "manifest.json"
    if not man.exists():
        return False, "no manifest.json"
    m = json.loads(man.read_text())
    missing = [e["file"] for e in m["tables"].values() if not (folder / e["file"]).exists()]
    if missing:
        return False, "missing files: " + ", ".join(missing[:5])
    from leokit.schema.validate import validate_extract

    report = validate_extract(str(folder))  # rows and content checksums against the manifest too
    if not report.ok:
        return False, report.summary().splitlines()[0]
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
