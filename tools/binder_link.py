"""Print, or write into the README, the Binder launch link for this repository.

    python tools/binder_link.py                      # from `git remote get-url origin`
    python tools/binder_link.py --repo org/name --ref v1.0 --write

Binder builds a public GitHub repository at a branch or tag, so the link needs the public
address, which a checkout only knows through its `origin` remote. `--write` replaces the line
between the `<!-- binder -->` markers in README.md with the badge; run it once the repository
is public (and again for a course tag, as docs/trainer_guide.md explains).
"""

import argparse
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BADGE = "https://mybinder.org/badge_logo.svg"
START = "notebooks/00_start_here.ipynb"
MARKERS = re.compile(r"(<!-- binder -->\n).*?(\n<!-- /binder -->)", re.S)
GITHUB = re.compile(r"github\.com[:/]([\w.-]+/[\w.-]+?)(?:\.git)?/?$")


def repo_from_origin():
    try:
        url = subprocess.run(
            ["git", "remote", "get-url", "origin"], cwd=ROOT, capture_output=True, text=True,
            check=True,
        ).stdout.strip()  # fmt: skip
    except (OSError, subprocess.CalledProcessError):
        return None
    match = GITHUB.search(url)
    return match.group(1) if match else None


def launch_url(repo, ref="main", path=START):
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repo or ""):
        raise ValueError(f"repo = {repo!r}: expected a GitHub 'owner/name'")
    if not (ROOT / path).exists():
        raise ValueError(f"{path} does not exist in this checkout")
    return f"https://mybinder.org/v2/gh/{repo}/{ref}?urlpath=lab/tree/{path}"


def badge(repo, ref="main"):
    return f"[![Launch on Binder]({BADGE})]({launch_url(repo, ref)})"


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("--repo", help="GitHub owner/name (default: from the origin remote)")
    ap.add_argument("--ref", default="main", help="branch or tag Binder builds (default main)")
    ap.add_argument("--write", action="store_true", help="put the badge into the README")
    ap.add_argument("--readme", type=Path, default=ROOT / "README.md", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    repo = args.repo or repo_from_origin()
    if repo is None:
        print("no GitHub origin remote: give --repo owner/name", file=sys.stderr)
        return 2
    try:
        line = badge(repo, args.ref)
    except ValueError as err:
        print(err, file=sys.stderr)
        return 2
    if args.write:
        readme = args.readme
        text = readme.read_text()
        if not MARKERS.search(text):
            print(
                f"{readme.name} has no <!-- binder --> ... <!-- /binder --> markers",
                file=sys.stderr,
            )
            return 2
        readme.write_text(MARKERS.sub(lambda m: m.group(1) + line + m.group(2), text))
    print(line)
    return 0


if __name__ == "__main__":
    sys.exit(main())
