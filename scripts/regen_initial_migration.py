"""Regenerate migration 0001 from the models (only while nothing has shipped)."""

import tempfile
from pathlib import Path

from alembic import command

from matcher.migrations import MIGRATIONS_DIR, alembic_config

VERSIONS = MIGRATIONS_DIR / "versions"

for old in VERSIONS.glob("0001_*.py"):
    old.unlink()
with tempfile.TemporaryDirectory() as tmp:
    config = alembic_config(f"sqlite:///{Path(tmp) / 'empty.db'}")
    command.revision(config, message="initial schema", autogenerate=True, rev_id="0001")
print(*VERSIONS.glob("0001_*.py"))

import subprocess  # noqa: E402
import sys  # noqa: E402

ruff = [sys.executable, "-m", "ruff"]
subprocess.run([*ruff, "check", "--fix", "--quiet", str(VERSIONS)], check=False)
subprocess.run([*ruff, "format", "--quiet", str(VERSIONS)], check=False)
