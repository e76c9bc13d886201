#!/usr/bin/env python3
"""Set up and run CertMatch with nothing but Python: `python3 dev.py demo` / `python3 dev.py test`.

Each command creates .venv and installs the project into it when needed (again whenever
pyproject.toml changes), then runs the demo or the whole test suite.
"""

import hashlib
import os
import shutil
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / "bin"


def _stamp(extras: str) -> str:
    digest = hashlib.sha256((ROOT / "pyproject.toml").read_bytes())
    digest.update(extras.encode())
    digest.update(sys.version.encode())
    return digest.hexdigest()


def ensure_environment(extras: str) -> None:
    """Create .venv and install the project (with `extras`) unless it is already current."""
    stamp_file = VENV / f".certmatch-{extras or 'base'}"
    if stamp_file.exists() and stamp_file.read_text() == _stamp(extras):
        return
    if not (BIN / "python").exists():
        print("Creating the virtual environment in .venv ...", flush=True)
        venv.create(VENV, with_pip=True)
    target = f".[{extras}]" if extras else "."
    print(f"Installing CertMatch ({target}) into .venv ...", flush=True)
    subprocess.run(
        [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check",
         "-e", target],
        cwd=ROOT,
        check=True,
    )  # fmt: skip
    stamp_file.write_text(_stamp(extras))


def ensure_chromium() -> None:
    """Install Debian's Chromium for the browser tests when we may (root with apt-get)."""
    if shutil.which("chromium") or not shutil.which("apt-get") or os.geteuid() != 0:
        return
    print("Installing Debian's chromium for the browser tests ...", flush=True)
    quiet = {"stdout": subprocess.DEVNULL, "stderr": subprocess.DEVNULL}
    subprocess.run(["apt-get", "update", "-qq"], check=False, **quiet)
    subprocess.run(["apt-get", "install", "-y", "-qq", "chromium"], check=False, **quiet)


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in {"demo", "test"}:
        sys.exit(
            "usage: python3 dev.py demo [--host H --port P] | python3 dev.py test [pytest args]"
        )
    command, args = sys.argv[1], sys.argv[2:]
    os.chdir(ROOT)
    if command == "demo":
        ensure_environment("")
        os.execv(BIN / "certmatch", [str(BIN / "certmatch"), "demo", *args])
    ensure_environment("test")
    ensure_chromium()
    # argv[0] must be the venv's own path: Python finds its environment from it.
    os.execv(BIN / "python", [str(BIN / "python"), "-m", "pytest", *args])


if __name__ == "__main__":
    main()
