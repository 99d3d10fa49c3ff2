"""The CLI in a forked child of a process that has already imported it: a crawl without the second
or so of interpreter start and imports a `python -m remarkwatch` pays each time.

A crawl runs Scrapy's Twisted reactor, which cannot start twice in one process, so it cannot run
in the test process itself. multiprocessing's forkserver imports remarkwatch and Scrapy once (per
test process) and forks a fresh child for each command; the fork happens in the server, which has
no threads, so it is safe. The child gets the caller's environment and working folder, writes
stdout and stderr to files (never a terminal, as under `subprocess.run(capture_output=True)`) and
its exit code is the command's.
"""
from __future__ import annotations

import multiprocessing
import os
import sys
import tempfile

PRELOAD = ["tests.forked", "remarkwatch.cli.main", "remarkwatch.passes.local", "scrapy.crawler", "tests.forked_preload"]
_context = None


def _forkserver():
    global _context
    if _context is None:
        _context = multiprocessing.get_context("forkserver")
        _context.set_forkserver_preload(PRELOAD)
    return _context


def child(args: list[str], cwd: str, env: dict[str, str], out: str, err: str) -> None:
    os.chdir(cwd)
    os.environ.clear()
    os.environ.update(env)
    for fd, path in ((1, out), (2, err)):
        target = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC)
        os.dup2(target, fd)
        os.close(target)
    sys.stdout = open(1, "w", encoding="utf-8", closefd=False)
    sys.stderr = open(2, "w", encoding="utf-8", closefd=False)
    from remarkwatch.cli.main import cli

    cli.main(args, prog_name="remarkwatch")     # exits: multiprocessing makes its code the exit code


def start(args: list[str], *, cwd: str, env: dict[str, str], out: str, err: str):
    """`remarkwatch ARGS` started in a forked child, its output going to the files `out` and `err`:
    the multiprocessing Process (its `pid` to signal, `join()` and `exitcode`)."""
    process = _forkserver().Process(target=child, args=(args, cwd, env, out, err))
    process.start()
    return process


def run(args: list[str], *, cwd: str, env: dict[str, str], timeout: float) -> tuple[int, str, str]:
    """(exit code, stdout, stderr) of `remarkwatch ARGS` run in a forked child."""
    with tempfile.TemporaryDirectory(prefix="rw-forked-") as folder:
        out, err = os.path.join(folder, "out"), os.path.join(folder, "err")
        process = start(args, cwd=cwd, env=env, out=out, err=err)
        process.join(timeout)
        if process.exitcode is None:
            process.kill()
            process.join()
            raise TimeoutError(f"remarkwatch {' '.join(args)} did not finish in {timeout} s")
        with open(out, encoding="utf-8") as stdout, open(err, encoding="utf-8") as stderr:
            return process.exitcode, stdout.read(), stderr.read()
