"""One inter-process lock for the tools: ``with FileLock(path): ...``.

pytest-xdist workers share the recipe work directory and run cache, and a test run may build
the SRS profile while someone builds it by hand; both wait on an exclusive ``flock`` of a
small file. Where there is no ``fcntl`` (Windows) the block runs unlocked.
"""

import hashlib
import os
import tempfile


class FileLock:
    """Exclusive lock on ``path`` (created if missing, never deleted: another process may be
    waiting on it)."""

    def __init__(self, path):
        self.path = path
        self.handle = None

    def __enter__(self):
        folder = os.path.dirname(self.path)
        if folder:
            os.makedirs(folder, exist_ok=True)
        self.handle = open(self.path, "w")
        try:
            import fcntl

            fcntl.flock(self.handle, fcntl.LOCK_EX)
        except ImportError:  # no fcntl (Windows): run unlocked
            pass
        return self

    def __exit__(self, *exc):
        self.handle.close()
        self.handle = None


def temp_lock_path(name, key):
    """A lock file in the system temp folder, distinct per ``key`` (e.g. a venv path)."""
    digest = hashlib.sha1(key.encode("utf-8")).hexdigest()[:12]
    return os.path.join(tempfile.gettempdir(), f"leokit-{name}-{digest}.lock")
