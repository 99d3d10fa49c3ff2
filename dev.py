#!/usr/bin/env python3
"""Bootstrap and run remarkwatch from a fresh clone: `python3 dev.py demo` or `python3 dev.py test`.

Creates .venv beside this file on first use, installs the project (editable, with test extras)
whenever pyproject.toml is newer than the last install, then runs the command inside the venv.
"""
import os
import shutil
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
  test [ARGS]    run the test suite (pytest ARGS); `test tests/unit` takes seconds
  lint           ruff over the tree (what CI runs before the tests)
  docs           regenerate docs/cli.md and docs/configuration.md from the code
  rw ARGS        run any remarkwatch command, e.g. `python3 dev.py rw changes`
  setup          only create .venv and install the project
  setup --tests  also install what the tests use (Chromium, redis-server, the pywb venv) and wait
                 for it (CI does, so that installing pywb is not done during the timed run)
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


BROWSERS = ("chromium", "chromium-browser", "google-chrome")


def _apt_install(package: str, purpose: str) -> None:
    """Install a Debian package for some tests where this machine can (root with apt-get);
    otherwise say that those tests will skip."""
    if not shutil.which("apt-get") or not hasattr(os, "geteuid") or os.geteuid() != 0:
        print(f"dev.py: no {package} and no way to install it here; {purpose} will skip", file=sys.stderr)
        return
    print(f"dev.py: installing Debian's {package} for {purpose} (apt-get)", file=sys.stderr)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    # Another apt (unattended upgrades, a second dev.py) may hold the package lock: wait for it.
    apt = ["apt-get", "-o", "DPkg::Lock::Timeout=300", "-q"]
    command = [*apt, "install", "-y", "--no-install-recommends", package]
    done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        subprocess.run([*apt, "update"], capture_output=True, env=env)
        done = subprocess.run(command, capture_output=True, text=True, env=env)
    if done.returncode != 0:
        last = "\n".join((done.stdout + done.stderr).strip().splitlines()[-5:])
        print(f"dev.py: could not install {package}; {purpose} will skip. apt-get said:\n{last}", file=sys.stderr)


def ensure_browser() -> None:
    """The web-view tests drive a real headless browser: Debian's chromium, through Debian's
    chromedriver (the same version as the browser, so Selenium never downloads one)."""
    if os.environ.get("REMARKWATCH_NO_BROWSER_INSTALL"):
        return
    if not shutil.which("chromedriver") or not any(shutil.which(name) for name in BROWSERS):
        _apt_install("chromium-driver", "the browser tests")   # depends on chromium: both come


def ensure_redis() -> None:
    """The cluster tests run a real redis-server on loopback: Debian's."""
    if shutil.which("redis-server") or os.environ.get("REMARKWATCH_NO_REDIS_INSTALL"):
        return
    _apt_install("redis-server", "the cluster tests")


PYWB = ROOT / ".venv-pywb"


def ensure_pywb() -> subprocess.Popen | None:
    """The WARC replay test checks exports with pywb, which pins old redis and gevent and so gets
    a venv of its own (tests/requirements-pywb.txt). Installed in the background while the other
    tests run; `.installed` or `.failed` in it says how that went, and the test waits for it."""
    requirements = ROOT / "tests" / "requirements-pywb.txt"
    done = PYWB / ".installed"
    if done.exists() and done.stat().st_mtime >= requirements.stat().st_mtime:
        return None
    shutil.rmtree(PYWB, ignore_errors=True)
    venv.EnvBuilder(with_pip=True).create(PYWB)
    log = PYWB / "install.log"
    # `.installing` holds the installer's pid: a test that finds it dead (killed with the shell
    # that started it) skips at once instead of waiting for a file that will never come.
    script = (f'echo $$ > "{PYWB / ".installing"}"; '
              f'"{PYWB / "bin" / "python"}" -m pip install --quiet --disable-pip-version-check -r "{requirements}" '
              f'> "{log}" 2>&1 && touch "{done}" || cp "{log}" "{PYWB / ".failed"}"')
    print("dev.py: installing pywb (for the WARC replay test) in the background", file=sys.stderr)
    return subprocess.Popen(["sh", "-c", script], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


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
        if rest == ["--tests"]:
            ensure_browser()
            ensure_redis()
            installing = ensure_pywb()
            if installing is not None:
                installing.wait()
            if (PYWB / ".failed").exists():
                print(f"dev.py: pywb did not install (the WARC replay test will skip): {PYWB / '.failed'}",
                      file=sys.stderr)
        return 0
    if command == "demo":
        here = Path.cwd().resolve() == ROOT
        env = {**os.environ, "REMARKWATCH_PROG": f"python3 {'dev.py' if here else ROOT / 'dev.py'} rw"}
        return subprocess.call([python, "-m", "remarkwatch", "demo", *rest], cwd=ROOT, env=env)
    if command == "test":
        ensure_browser()
        ensure_redis()
        installing = ensure_pywb()
        try:
            # Bytecode caches on, whatever the shell says: with PYTHONDONTWRITEBYTECODE set, each of
            # the four workers and every `python -m remarkwatch` a test starts compiled the project
            # and rewrote the tests' asserts again (collection 9.6 s a worker, 5.1 s with caches).
            env = {key: value for key, value in os.environ.items() if key != "PYTHONDONTWRITEBYTECODE"}
            return subprocess.call([python, "-m", "pytest", *rest], cwd=ROOT, env=env)
        finally:
            if installing is not None and installing.poll() is None:
                installing.terminate()
    if command == "lint":
        return subprocess.call([python, "-m", "ruff", "check", "."], cwd=ROOT)
    if command == "docs":
        return subprocess.call([python, str(ROOT / "docs" / "generate.py")], cwd=ROOT)
    if command == "rw":
        return subprocess.call([python, "-m", "remarkwatch", *rest])
    print(USAGE, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
