"""The notebooks in a real browser, as a student meets them in Binder.

JupyterLab is started on loopback from the repository root; headless Chromium (Debian's
`chromium`, driven by Playwright with that binary) opens each notebook, runs all cells with
JupyterLab's own "Run All" command, and waits for the kernel to finish. The test fails on any
error output or a notebook that does not finish in time. A screenshot of each notebook's
first figure is kept in output/browser/ as an artefact.

Skips, saying why, where Chromium or Playwright is missing (tools/test_setup.sh installs
Chromium; Playwright is in the dev extras).
"""

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
ARTEFACTS = ROOT / "output" / "browser"
TOKEN = "leokit-browser-test"
RUN_TIMEOUT_S = 240


def chromium():
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return found
    return None


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def lab(tmp_path_factory):
    if chromium() is None:
        pytest.skip("Chromium is not installed (tools/test_setup.sh installs Debian's chromium)")
    pytest.importorskip(
        "playwright", reason="Playwright is not installed (pip install -e '.[dev]')"
    )
    port = free_port()
    home = tmp_path_factory.mktemp("jupyter")
    env = dict(
        os.environ, JUPYTER_CONFIG_DIR=str(home / "config"), JUPYTER_DATA_DIR=str(home / "data")
    )
    env["JUPYTER_RUNTIME_DIR"] = str(home / "runtime")
    cmd = [
        sys.executable, "-m", "jupyterlab", "--no-browser", "--ip=127.0.0.1", f"--port={port}",
        f"--IdentityProvider.token={TOKEN}", "--LabApp.expose_app_in_browser=True",
        "--ServerApp.open_browser=False", f"--ServerApp.root_dir={ROOT}", "--allow-root",
    ]  # fmt: skip
    log = open(home / "lab.log", "w")
    server = subprocess.Popen(cmd, cwd=str(ROOT), env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    deadline = time.time() + 90
    while time.time() < deadline:
        try:
            urllib.request.urlopen(f"{url}/api/status?token={TOKEN}", timeout=2)
            break
        except OSError:
            if server.poll() is not None:
                break
            time.sleep(0.5)
    else:
        server.kill()
        pytest.fail("JupyterLab did not start: " + (home / "lab.log").read_text()[-2000:])
    if server.poll() is not None:
        pytest.fail("JupyterLab exited: " + (home / "lab.log").read_text()[-2000:])
    yield url
    server.terminate()
    try:
        server.wait(timeout=20)
    except subprocess.TimeoutExpired:
        server.kill()
    log.close()


# Reads the open notebook's model: one entry per code cell with its output types and whether
# it has run; the test decides from that, not from what the page happens to show.
CELL_STATE = """() => {
  const panel = window.jupyterapp.shell.currentWidget;
  if (!panel || !panel.content || !panel.sessionContext) return null;
  const cells = [];
  for (const cell of panel.content.widgets) {
    if (cell.model.type !== 'code') continue;
    const outs = cell.model.outputs;
    const types = [];
    let error = '';
    for (let i = 0; i < outs.length; i++) {
      const o = outs.get(i).toJSON();
      types.push(o.output_type);
      if (o.output_type === 'error') error = o.ename + ': ' + o.evalue;
    }
    cells.push({count: cell.model.executionCount, empty: cell.model.sharedModel.source.trim() === '', types, error});
  }
  const status = panel.sessionContext.session && panel.sessionContext.session.kernel
      ? panel.sessionContext.session.kernel.status : 'none';
  return {cells, status};
}"""


@pytest.mark.parametrize("nb", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_notebook_runs_in_jupyterlab(lab, nb):
    from playwright.sync_api import sync_playwright

    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=chromium(), headless=True, args=["--no-sandbox"]
        )
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{lab}/lab/tree/notebooks/{nb.name}?token={TOKEN}&reset")
        page.wait_for_function(
            "() => window.jupyterapp && window.jupyterapp.shell.currentWidget"
            " && window.jupyterapp.shell.currentWidget.sessionContext"
            " && window.jupyterapp.shell.currentWidget.sessionContext.isReady",
            timeout=90_000,
        )
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:clear-all-cell-outputs')")
        page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
        deadline = time.time() + RUN_TIMEOUT_S
        state = None
        while time.time() < deadline:
            time.sleep(1.0)
            state = page.evaluate(CELL_STATE)
            code = [c for c in state["cells"] if not c["empty"]]
            if any(c["error"] for c in code):
                break
            if code and all(c["count"] for c in code) and state["status"] == "idle":
                break
        errors = [c["error"] for c in state["cells"] if c["error"]]
        unfinished = [i for i, c in enumerate(state["cells"]) if not c["empty"] and not c["count"]]
        figure = page.locator(".jp-RenderedImage img").first
        if figure.count():
            figure.scroll_into_view_if_needed()
            figure.screenshot(path=str(ARTEFACTS / f"{nb.stem}.png"))
        browser.close()
    assert not errors, f"{nb.name}: error output in the browser: {errors}"
    assert not unfinished, (
        f"{nb.name}: cells that never finished in {RUN_TIMEOUT_S} s: {unfinished}"
    )
