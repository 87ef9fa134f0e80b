"""Small tmpfs mounts for the tests of a full or read-only disk (they need root and `mount`)."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path


def mount_tmpfs(path: Path, size: str, extra: str = "") -> bool:
    """Mount a tmpfs of `size` at `path` (created); False when this machine cannot (no root or mount)."""
    if shutil.which("mount") is None or os.geteuid() != 0:
        return False
    path.mkdir(parents=True, exist_ok=True)
    options = f"size={size}" + (f",{extra}" if extra else "")
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", options, "tmpfs", str(path)], capture_output=True)
    return done.returncode == 0


def umount(path: Path) -> None:
    subprocess.run(["umount", str(path)], capture_output=True, check=False)
