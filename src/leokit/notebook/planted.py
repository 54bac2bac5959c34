"""The planted truth of a synthetic extract, and nothing on real data.

    from leokit import notebook
    theta = notebook.truth(ex, "spillovers.coworker_theta")       # 0.1, or None in the SRS
    notebook.truth(ex, "returns_to_he")                           # a whole section
    notebook.truth(ex, ("contextual_offers", "estimands", "cutoff_q1"))

``truth(ex, key)`` reads ``truth.json`` from the folder of an extract written by ``leokit synth``
(its ``manifest.json`` names the file) and returns the value at ``key``: a dotted path or a
sequence of keys. It returns None for anything else: a SQL Server connection in the SRS, a
folder of views you exported yourself, a synthetic folder without ``truth.json``. A key that
``truth.json`` does not have is an error (a misspelt key must not pass as "real data").

``ex`` is an opened ``leokit.extract.Extract`` or the notebook's ``extract`` parameter (a
folder path or a dict of SRS connection settings). Nothing here reads the generator.
"""

import json
import os

from leokit.extract import ExtractError

__all__ = ["truth", "load", "folder_of"]


def folder_of(ex):
    """The folder of a synthetic extract written by ``leokit synth``, else None."""
    if isinstance(ex, (str, os.PathLike)):
        folder = os.fspath(ex)
        manifest_path = os.path.join(folder, "manifest.json")
        if not os.path.isfile(manifest_path):
            return None
        try:
            with open(manifest_path) as f:
                manifest = json.load(f)
        except (OSError, ValueError):
            return None
    else:  # an Extract; a dict of connection settings has neither
        folder = getattr(ex, "folder", None)
        manifest = getattr(ex, "manifest", None)
    if not folder or not isinstance(manifest, dict) or not manifest.get("truth"):
        return None
    return folder, manifest["truth"]


def load(ex):
    """The whole ``truth.json`` of a synthetic extract as a dict, else None."""
    found = folder_of(ex)
    if found is None:
        return None
    path = os.path.join(*found)
    if not os.path.isfile(path):
        return None
    try:
        with open(path) as f:
            return json.load(f)
    except ValueError as err:
        raise ExtractError(f"{path} is not valid JSON ({err}): regenerate the extract") from None


def truth(ex, key):
    """The planted value at ``key`` ('a.b.c' or a sequence) on a synthetic extract; None on real
    data. A key absent from truth.json raises KeyError naming the keys that are there."""
    doc = load(ex)
    if doc is None:
        return None
    parts = key.split(".") if isinstance(key, str) else list(key)
    node, path = doc, []
    for part in parts:
        if not isinstance(node, dict) or part not in node:
            have = sorted(node) if isinstance(node, dict) else []
            where = ".".join(path) or "the top level"
            raise KeyError(
                f"truth.json has no {part!r} under {where}; it has {', '.join(map(str, have))}"
            )
        node, path = node[part], path + [str(part)]
    return node
