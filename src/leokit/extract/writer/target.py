"""Where an extract may be written, and putting it there safely.

    out = check_target("data_synthetic")    # WriteError unless empty, new, or leokit's own
    tmp = make_temporary(out)               # hidden sibling folder, marked with pid and host
    ...                                     # the files are written into tmp
    with SignalsHeld():
        swap(tmp, out)                      # renamed into place; the old extract removed

An existing folder is replaced only when it is empty or an extract leokit wrote: its
manifest.json carries leokit's signature and lists every file, and the folder holds exactly
those files, unchanged (`not_ours` says why anything else is refused). Temporary folders a
killed run left (its process gone) are removed by the next run for the same folder
(`clean_leftovers`); others are named, never touched.

Current stack only (not SRS-bound).
"""

import datetime
import hashlib
import json
import os
import re
import shutil
import socket
import uuid
from collections import OrderedDict

import numpy as np

from leokit.extract.formats import FILE_SUFFIX, MANIFEST, WRITING_MARK

__all__ = [
    "WriteError",
    "WRITTEN_BY",
    "TRUTH",
    "json_text",
    "write_text",
    "check_target",
    "own_files",
    "not_ours",
    "files_entry",
    "leftovers",
    "clean_leftovers",
    "missing_dirs",
    "make_temporary",
    "SignalsHeld",
    "swap",
]

TRUTH = "truth.json"


class WriteError(ValueError):
    """The extract cannot be written where or as asked."""


def json_text(obj):
    """`obj` as the JSON text leokit writes: sorted keys, indent 2, numpy values as Python
    ones, a final newline."""

    def default(o):
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o)
        if isinstance(o, np.bool_):
            return bool(o)
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, (datetime.date, datetime.datetime)):
            return o.isoformat()
        if isinstance(o, (set, frozenset)):
            return sorted(o)
        raise TypeError(f"{type(o).__name__} is not JSON serialisable")

    return json.dumps(obj, sort_keys=True, indent=2, default=default, ensure_ascii=False) + "\n"


# ------------------------------------------------------------------------------ checks
WRITTEN_BY = "leokit"  # the manifest's signature: this package wrote the folder


def check_target(out):
    """Raise WriteError unless `out` can receive an extract: it does not exist, is an empty
    folder, or holds an extract leokit wrote (see `not_ours`); returns the absolute path."""
    if not isinstance(out, (str, os.PathLike)) or not os.fspath(out):
        raise WriteError(f"expected a folder path for the extract, got {out!r}")
    out = os.path.abspath(os.fspath(out))
    if os.path.lexists(out):
        if os.path.islink(out):
            raise WriteError(f"refusing to write the extract to {out}: it is a symbolic link")
        if not os.path.isdir(out):
            raise WriteError(f"cannot write the extract to {out}: it is a file, expected a folder")
        why = not_ours(out)
        if why:
            raise WriteError(
                f"refusing to replace {out}: {why}. leokit replaces only an empty folder or an "
                "extract it wrote itself (exactly the files its manifest.json lists); choose a "
                "new or empty folder"
            )
    probe = os.path.dirname(out)
    while not os.path.exists(probe):
        parent = os.path.dirname(probe)
        if parent == probe:
            break
        probe = parent
    if not os.path.isdir(probe):
        raise WriteError(f"cannot write the extract to {out}: {probe} is a file, not a folder")
    if not os.access(probe, os.W_OK | os.X_OK):
        raise WriteError(f"cannot write the extract to {out}: {probe} is not writable")
    return out


def _load_manifest(folder):
    """The manifest of `folder` as a dict, or a string saying why there is none."""
    path = os.path.join(folder, MANIFEST)
    if not os.path.isfile(path) or os.path.islink(path):
        return f"it holds no {MANIFEST}"
    try:
        with open(path, encoding="utf-8") as f:
            m = json.load(f)
    except (OSError, ValueError):
        return f"its {MANIFEST} is not valid JSON"
    if not isinstance(m, dict) or not isinstance(m.get("tables"), dict):
        return f"its {MANIFEST} is not an extract manifest written by leokit"
    return m


def own_files(folder):
    """{file name: (size, sha256) as the manifest records them, or None when it records
    neither} of what leokit wrote into the extract `folder` (manifest.json included), or a
    string saying why the folder is not a leokit extract.

    The manifest must carry leokit's signature: `written_by` and `files` (leokit 0.1 wrote
    neither: its extracts are recognised by their checksum note, and only their table files
    and truth.json count as its own: a data card there may hold a user's edits)."""
    m = _load_manifest(folder)
    if isinstance(m, str):
        return m
    files = OrderedDict([(MANIFEST, None)])
    if m.get("written_by") == WRITTEN_BY and isinstance(m.get("files"), dict):
        for name, entry in m["files"].items():
            size = entry.get("bytes") if isinstance(entry, dict) else None
            files[str(name)] = (size, entry.get("sha256") if isinstance(entry, dict) else None)
        return _plain_names(files)
    if str(m.get("checksum", "")).startswith("leokit.extract.content_sha256"):
        for entry in m["tables"].values():
            if isinstance(entry, dict) and entry.get("file"):
                files[str(entry["file"])] = None
        if m.get("truth") == TRUTH:
            files[TRUTH] = None
        return _plain_names(files)
    return f"its {MANIFEST} was not written by leokit (no leokit signature)"


def _plain_names(files):
    bad = [n for n in files if n != os.path.basename(n) or n in ("", ".", "..")]
    if bad:
        return f"its {MANIFEST} lists {bad[0]!r}, which is not a file name in the folder"
    return files


def not_ours(folder):
    """Why the existing folder `folder` is not an empty folder or an unchanged extract leokit
    wrote (one phrase), or None when leokit may replace it."""
    try:
        entries = sorted(os.listdir(folder))
    except OSError as e:
        return f"it cannot be listed ({e.strerror})"
    if not entries:
        return None
    files = own_files(folder)
    if isinstance(files, str):
        return files + _naming(entries)
    extra = [n for n in entries if n not in files]
    if extra:
        legacy = "files" not in _load_manifest(folder)
        return (
            "it holds files the extract does not list"
            + _naming(extra)
            + (
                " (its manifest.json, from leokit 0.1, lists only views and truth.json)"
                if legacy
                else ""
            )
        )
    for name in entries:
        path = os.path.join(folder, name)
        if os.path.islink(path) or not os.path.isfile(path):
            return f"{name} is not a file leokit wrote"
        expected = files[name]
        if expected is None:
            continue
        size, sha = expected
        if size is not None and os.path.getsize(path) != size:
            return f"{name} has changed since leokit wrote it"
        if sha is not None and _file_sha256(path) != sha:
            return f"{name} has changed since leokit wrote it"
    return None


def _naming(names):
    shown = ", ".join(names[:5]) + (f" and {len(names) - 5} more" if len(names) > 5 else "")
    return f" ({shown})"


def _file_sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def files_entry(folder, names):
    """The manifest's `files`: size of each file written, SHA-256 of the small (text) ones."""
    out = OrderedDict()
    for name in sorted(names):
        path = os.path.join(folder, name)
        entry = OrderedDict([("bytes", os.path.getsize(path))])
        if not name.endswith(tuple(FILE_SUFFIX.values())):
            entry["sha256"] = _file_sha256(path)
        out[name] = entry
    return out


# ------------------------------------------------------------------------------ leftovers
def _leftover_pattern(out):
    base = re.escape(os.path.basename(out))
    return re.compile(r"^\." + base + r"\.(tmp|old)-(\d+)-[0-9a-f]+$")


def _legacy_pattern(out):
    """Temporary folders of leokit 0.1 (tempfile.mkdtemp names, no pid, no marker)."""
    base = re.escape(os.path.basename(out))
    return re.compile(r"^\." + base + r"\.(tmp|old)-[a-z0-9_]{8}$")


def _alive(pid):
    """Whether process `pid` runs on this machine (True when that cannot be known)."""
    if pid == os.getpid():
        return True
    if os.name != "posix":  # os.kill would end the process on Windows
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # e.g. another user's process
        return True
    return True


def leftovers(out):
    """Temporary folders that runs writing to `out` left beside it: a list of
    (path, pid, ours_to_remove). ours_to_remove is True when the folder is leokit's (its name
    and, for a folder being written, its marker) and the process that wrote it is gone. pid
    is None for a folder an older leokit left (nothing says whether its run has ended)."""
    out = os.path.abspath(os.fspath(out))
    parent = os.path.dirname(out)
    pattern = _leftover_pattern(out)
    legacy = _legacy_pattern(out)
    found = []
    try:
        names = sorted(os.listdir(parent))
    except OSError:
        return found
    host = socket.gethostname()
    for name in names:
        m = pattern.match(name)
        path = os.path.join(parent, name)
        if os.path.islink(path) or not os.path.isdir(path):
            continue
        if m is None:
            if legacy.match(name):
                found.append((path, None, False))
            continue
        pid = int(m.group(2))
        mark = _read_mark(path)
        if mark is not None and mark.get("host") not in (None, host):
            found.append((path, pid, False))  # written from another machine: cannot tell
            continue
        if m.group(1) == "tmp":
            ours = mark is not None or not_ours(path) is None
        else:  # a previous extract moved aside while being replaced
            ours = not_ours(path) is None
        found.append((path, pid, ours and not _alive(pid)))
    return found


def _read_mark(folder):
    try:
        with open(os.path.join(folder, WRITING_MARK), encoding="utf-8") as f:
            mark = json.load(f)
        return mark if isinstance(mark, dict) else None
    except (OSError, ValueError):
        return None


def _remove_tree(path):
    """Remove a temporary folder leokit wrote; whether it is gone."""
    shutil.rmtree(path, ignore_errors=True)
    return not os.path.exists(path)


def clean_leftovers(out):
    """Remove what killed runs left beside `out` (see `leftovers`); WriteError naming a
    temporary folder that another run may still be writing, or that cannot be removed."""
    kept = []
    for path, pid, removable in leftovers(out):
        if pid is None:  # an older leokit's: named by synth and validate, never judged here
            continue
        if removable and not _remove_tree(path):
            kept.append(f"{path} (left by process {pid}) cannot be removed; remove it yourself")
        elif not removable:
            kept.append(
                f"{path} is the temporary folder of another run writing {out} (process {pid}, "
                "still running or on another machine); wait for it, or remove the folder "
                "yourself if no such run exists"
            )
    if kept:
        more = f" ({len(kept) - 1} more like it)" if len(kept) > 1 else ""
        raise WriteError(kept[0] + more)


def missing_dirs(path):
    """The folders on `path` that do not exist yet, innermost first."""
    out = []
    path = os.path.abspath(path)
    while path and not os.path.exists(path):
        out.append(path)
        parent = os.path.dirname(path)
        if parent == path:
            break
        path = parent
    return out


def write_text(path, text):
    with open(path, "w", encoding="utf-8", newline="\n") as f:
        f.write(text)


def _temporary_name(out, kind):
    return os.path.join(
        os.path.dirname(out),
        f".{os.path.basename(out)}.{kind}-{os.getpid()}-{uuid.uuid4().hex[:8]}",
    )


def make_temporary(out):
    """The hidden folder an extract is written into, marked as this process's."""
    tmp = _temporary_name(out, "tmp")
    os.mkdir(tmp, 0o755)
    mark = {"pid": os.getpid(), "host": socket.gethostname(), "out": out}
    write_text(os.path.join(tmp, WRITING_MARK), json_text(mark))
    return tmp


class SignalsHeld:
    """SIGINT and SIGTERM wait while the extract is swapped into place (two renames that
    must not be separated); they are delivered afterwards. POSIX main thread only."""

    def __enter__(self):
        import signal
        import threading

        self._held = None
        wanted = {getattr(signal, n) for n in ("SIGINT", "SIGTERM") if hasattr(signal, n)}
        block = getattr(signal, "pthread_sigmask", None)
        if block is not None and wanted and threading.current_thread() is threading.main_thread():
            self._held = block(signal.SIG_BLOCK, wanted)
        return self

    def __exit__(self, *exc):
        if self._held is not None:
            import signal

            signal.pthread_sigmask(signal.SIG_SETMASK, self._held)


def swap(tmp, out):
    """Rename the finished folder into place. A previous extract leokit wrote is replaced (its
    own files removed); anything else in `out` by now is refused, and `out` kept."""
    if not os.path.lexists(out):
        os.remove(os.path.join(tmp, WRITING_MARK))
        os.rename(tmp, out)
        return
    why = not_ours(out)  # checked again: the folder may have changed while we wrote
    if why:
        raise WriteError(f"refusing to replace {out}: {why}; the new extract was not kept")
    files = own_files(out)
    os.remove(os.path.join(tmp, WRITING_MARK))
    old = _temporary_name(out, "old")
    os.rename(out, old)
    try:
        os.rename(tmp, out)
    except BaseException:
        os.rename(old, out)
        raise
    _remove_own(old, files if isinstance(files, dict) else {})


def _remove_own(folder, files):
    """Remove the files leokit wrote in `folder`, then the folder; anything else stays."""
    for name in files:
        try:
            os.remove(os.path.join(folder, name))
        except FileNotFoundError:
            pass
    try:
        os.rmdir(folder)
    except OSError:
        import warnings

        warnings.warn(
            f"kept {folder}: it held files leokit did not write (the previous extract's own "
            "files were removed)",
            stacklevel=3,
        )
