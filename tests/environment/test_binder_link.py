"""tools/binder_link.py: the Binder launch link and the README badge."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools"))
import binder_link  # noqa: E402


@pytest.mark.parametrize(
    "url",
    ["https://github.com/leo-org/leo-notebooks.git", "git@github.com:leo-org/leo-notebooks.git",
     "https://github.com/leo-org/leo-notebooks/"],
)  # fmt: skip
def test_origin_forms(url):
    assert binder_link.GITHUB.search(url).group(1) == "leo-org/leo-notebooks"


def test_link_opens_start_here_at_a_tag():
    url = binder_link.launch_url("leo-org/leo-notebooks", "course-2027")
    assert url == (
        "https://mybinder.org/v2/gh/leo-org/leo-notebooks/course-2027"
        "?urlpath=lab/tree/notebooks/00_start_here.ipynb"
    )


def test_bad_repo_is_named():
    with pytest.raises(ValueError, match="repo = 'leo notebooks': expected a GitHub 'owner/name'"):
        binder_link.launch_url("leo notebooks")


def test_write_replaces_only_the_marked_line(tmp_path):
    readme = tmp_path / "README.md"
    readme.write_text("# Title\n<!-- binder -->\nold\n<!-- /binder -->\nrest\n")
    cmd = [sys.executable, str(ROOT / "tools" / "binder_link.py"), "--repo", "o/r", "--write",
           "--readme", str(readme)]  # fmt: skip
    subprocess.run(cmd, check=True, capture_output=True)
    text = readme.read_text()
    assert text.startswith("# Title\n<!-- binder -->\n[![Launch on Binder]")
    assert (
        "(https://mybinder.org/v2/gh/o/r/main?urlpath=lab/tree/notebooks/00_start_here.ipynb)"
        in text
    )
    assert text.endswith("\n<!-- /binder -->\nrest\n") and "old" not in text


def test_the_readme_has_the_markers():
    assert binder_link.MARKERS.search((ROOT / "README.md").read_text())
