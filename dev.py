#!/usr/bin/env python3
"""Bootstrap and run remarkwatch from a fresh clone: `python3 dev.py demo` or `python3 dev.py test`.

Creates .venv beside this file on first use, installs the project (editable, with test extras)
whenever pyproject.toml is newer than the last install, then runs the command inside the venv.
"""
import os
import subprocess
import sys
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
BIN = VENV / ("Scripts" if os.name == "nt" else "bin")
STAMP = VENV / ".installed"

USAGE = """usage: python3 dev.py COMMAND [ARGS...]

  demo [ARGS]    run the offline demo (replica site on 127.0.0.1), same as `remarkwatch demo`
  test [ARGS]    run the test suite (pytest ARGS)
  rw ARGS        run any remarkwatch command, e.g. `python3 dev.py rw changes`
  setup          only create .venv and install the project
"""


def ensure_venv() -> None:
    if not (BIN / "python").exists():
        print(f"dev.py: creating {VENV}", file=sys.stderr)
        venv.EnvBuilder(with_pip=True).create(VENV)
    pyproject = ROOT / "pyproject.toml"
    if STAMP.exists() and STAMP.stat().st_mtime >= pyproject.stat().st_mtime:
        return
    print("dev.py: installing remarkwatch and its dependencies into .venv", file=sys.stderr)
    pip = [str(BIN / "python"), "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "-e", f"{ROOT}[test]"], check=True)
    STAMP.write_text("ok\n")


def main(argv: list[str]) -> int:
    if not argv or argv[0] in {"-h", "--help", "help"}:
        print(USAGE)
        return 0 if argv else 2
    command, rest = argv[0], argv[1:]
    if sys.version_info < (3, 11):
        print("dev.py: remarkwatch needs Python 3.11 or newer", file=sys.stderr)
        return 2
    ensure_venv()
    python = str(BIN / "python")
    if command == "setup":
        return 0
    if command == "demo":
        return subprocess.call([python, "-m", "monitor", "demo", *rest], cwd=ROOT)
    if command == "test":
        return subprocess.call([python, "-m", "pytest", *rest], cwd=ROOT)
    if command == "rw":
        return subprocess.call([python, "-m", "monitor", *rest])
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
