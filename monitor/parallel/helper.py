"""A helper process of a crawl, fed from the event loop through a socket pair.

`concurrent.futures.ProcessPoolExecutor` moves every job and answer through two threads of the
crawling process (a feeder and a manager), and keeps one job queued ahead of each worker. On a
busy crawl those threads wait for the interpreter lock behind the reactor after every system
call, so the helper sat idle waiting for the rest of a page while the reactor waited for its
answer (py-spy: the feeder blocked in `send` 90% of a first crawl, the helper at 85% of a core).
Here the reactor thread itself writes each job into a socket with a deep buffer and reads the
answers when the loop says they are there: no thread, no lock hand-over, and the helper always
has its next pages waiting.

A helper runs its jobs one at a time, in the order sent, and answers in that order. Its end of the
socket closing (the process died: a parser crash, the OOM killer) fails the calls still waiting
with `HelperDied`, which says whether the call's job was the one running or never started.
The helper exits when the crawling process is gone (its socket reads end of file).

Objects that are the same for many jobs (a source's profiles and recording rules: `shared`) are
pickled once per helper: a job names them by number. Pickling a profile with its compiled
patterns for every page cost more than pickling the page (docs/performance.md).
"""
from __future__ import annotations

import asyncio
import io
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import weakref
from collections import deque

BUFFER_BYTES = 4 << 20      # socket buffers: a few hundred pages in flight without blocking either side
_HEADER = struct.Struct("!i")   # multiprocessing.Connection's framing: a 4-byte big-endian length


_SHARED: dict[int, object] = {}     # in a helper: the shared objects it was sent, by number


def _remember(number: int, value) -> bool:
    """A job: keep a shared object for the jobs after it, which name it by number."""
    _SHARED[number] = value
    return True


def _shared(number: int):
    """How a job names a shared object it was sent before (a pickle reduce function)."""
    return _SHARED[number]


class JobEncoder:
    """Pickles jobs for one helper, each framed as multiprocessing.Connection reads it. An object
    of a `shared` type is sent once, in a `_remember` job ahead of the first job that holds it;
    later jobs holding it, or an equal object, name it by number. `extra` counts the jobs added
    (each is answered like any other)."""

    def __init__(self, shared: tuple[type, ...] = ()):
        self.shared = frozenset(shared)
        self._by_id: dict[int, tuple[object, int]] = {}     # id -> (the object itself, its number)
        self._by_value: dict[bytes, int] = {}               # pickled form -> number
        self._ahead: list[bytes] = []

    def encode(self, func, args: tuple) -> tuple[bytes, int]:
        """The framed bytes of the job, preceded by any `_remember` jobs it needs, and how many
        of those there are."""
        buffer = io.BytesIO()
        _Pickler(buffer, self).dump((func, args))
        ahead, self._ahead = self._ahead, []
        data = buffer.getvalue()
        return b"".join([*ahead, _HEADER.pack(len(data)), data]), len(ahead)

    def number(self, value) -> int:
        known = self._by_id.get(id(value))
        if known is not None and known[0] is value:
            return known[1]
        # An equal object made anew for each job (the recording rules) is found by its value.
        pickled = pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL)
        number = self._by_value.get(pickled)
        if number is None:
            number = self._by_value[pickled] = len(self._by_value)
            self._by_id[id(value)] = (value, number)     # kept alive, so its id stays its own
            job = pickle.dumps((_remember, (number, value)), protocol=pickle.HIGHEST_PROTOCOL)
            self._ahead.append(_HEADER.pack(len(job)) + job)
        return number


class _Pickler(pickle.Pickler):
    def __init__(self, file, encoder: JobEncoder):
        super().__init__(file, protocol=pickle.HIGHEST_PROTOCOL)
        self.encoder = encoder

    def reducer_override(self, obj):
        if type(obj) in self.encoder.shared:
            return _shared, (self.encoder.number(obj),)
        return NotImplemented


class HelperDied(Exception):
    """The helper process ended while calls were waiting for it. `started`: this call's job was
    the one it was running (it may be what killed it); the others were never started."""

    def __init__(self, message: str, started: bool = False):
        super().__init__(message)
        self.started = started


def serve(conn, init, initargs) -> None:
    """The helper's loop: set up (`init`), then run (func, args) jobs until told to stop or the
    crawling process is gone. An answer is (True, result) or (False, the exception)."""
    # SIGINT and SIGTERM go to the whole process group (Ctrl-C, systemd): the crawling process
    # finishes its pages gracefully and then ends its helpers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if init is not None:
        init(*initargs)
    while True:
        try:
            job = conn.recv()
        except (EOFError, OSError):
            return
        if job is None:
            return
        func, args = job
        try:
            answer = (True, func(*args))
        except Exception as exc:  # noqa: BLE001 - the caller gets it, as the executor gave it
            answer = (False, exc)
        try:
            conn.send(answer)
        except OSError:
            return
        except Exception as exc:  # noqa: BLE001 - an answer that cannot be pickled is an error answer
            conn.send((False, RuntimeError(f"the helper's answer could not be sent back: {exc}"[:500])))


class Helper:
    """One spawned helper process. `call()` from the event loop's thread only (the loop may not
    be running yet)."""

    def __init__(self, name: str, init=None, initargs: tuple = (), shared: tuple[type, ...] = ()):
        self.encoder = JobEncoder(shared)
        context = multiprocessing.get_context("spawn")     # never a fork of a process with threads and a database
        ours, theirs = context.Pipe(duplex=True)           # a socket pair on POSIX
        for end in (ours, theirs):
            probe = socket.socket(fileno=os.dup(end.fileno()))
            for option in (socket.SO_SNDBUF, socket.SO_RCVBUF):
                probe.setsockopt(socket.SOL_SOCKET, option, BUFFER_BYTES)
            probe.close()
        self.process = context.Process(target=serve, args=(theirs, init, initargs), name=name, daemon=True)
        self.process.start()
        theirs.close()
        self.sock = socket.socket(fileno=os.dup(ours.fileno()))
        ours.close()
        self.sock.setblocking(False)
        # Left without shutdown() (an exception on the way out): at exit, before multiprocessing
        # joins its children, our end closes, so the helper reads the end of it and exits.
        weakref.finalize(self, self.sock.close)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._out = bytearray()
        self._in = bytearray()
        self._writing = False
        self._waiting: deque[asyncio.Future] = deque()
        self.dead = False

    @property
    def busy(self) -> int:
        return len(self._waiting)

    def call(self, func, *args) -> asyncio.Future:
        """Send a job; the future resolves to its result (or raises its exception, or HelperDied)."""
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:        # the reactor's startup calls, before its loop runs
            loop = asyncio.get_event_loop()
        future = loop.create_future()
        if self.dead:
            future.set_exception(HelperDied(f"the {self.process.name} process has ended"))
            return future
        if self._loop is None:
            self._loop = loop
            loop.add_reader(self.sock.fileno(), self._readable)
        data, ahead = self.encoder.encode(func, args)
        for _ in range(ahead):      # the answers to `_remember` jobs, which nobody awaits
            remembered = loop.create_future()
            remembered.add_done_callback(_retrieved)
            self._waiting.append(remembered)
        self._waiting.append(future)
        self._out += data
        self._send()
        return future

    def _send(self) -> None:
        while self._out:
            try:
                sent = self.sock.send(self._out)
            except BlockingIOError:
                if not self._writing:
                    self._loop.add_writer(self.sock.fileno(), self._send)
                    self._writing = True
                return
            except OSError as exc:
                self._died(exc)
                return
            del self._out[:sent]
        if self._writing:
            self._loop.remove_writer(self.sock.fileno())
            self._writing = False

    def _readable(self) -> None:
        try:
            chunk = self.sock.recv(BUFFER_BYTES)
        except BlockingIOError:
            return
        except OSError as exc:
            self._died(exc)
            return
        if not chunk:
            self._died(None)
            return
        self._in += chunk
        while len(self._in) >= _HEADER.size:
            size = _HEADER.unpack_from(self._in)[0]
            if len(self._in) < _HEADER.size + size:
                break
            ok, value = pickle.loads(self._in[_HEADER.size:_HEADER.size + size])
            del self._in[:_HEADER.size + size]
            future = self._waiting.popleft()
            if future.done():
                continue
            if ok:
                future.set_result(value)
            else:
                future.set_exception(value)

    def _died(self, exc: BaseException | None) -> None:
        """Fail every waiting call (the first was running, the others never started)."""
        if self.dead:
            return
        self.dead = True
        self._close_socket()
        self.process.join(timeout=5)
        reason = f"exit code {self.process.exitcode}" if self.process.exitcode is not None else str(exc)
        waiting, self._waiting = self._waiting, deque()
        for position, future in enumerate(waiting):
            if not future.done():
                future.set_exception(HelperDied(f"the {self.process.name} process died ({reason})", started=position == 0))

    def _close_socket(self) -> None:
        if self._loop is not None and not self._loop.is_closed():
            self._loop.remove_reader(self.sock.fileno())
            if self._writing:
                self._loop.remove_writer(self.sock.fileno())
        self._writing = False
        self.sock.close()

    def shutdown(self, timeout: float = 30) -> None:
        """End it: it stops after the job it is running (call it once every answer is in; one that
        is stuck is killed after `timeout`)."""
        if not self.dead:
            self.dead = True
            try:
                self.sock.setblocking(True)
                self.sock.settimeout(timeout)
                self.sock.sendall(bytes(self._out) + _HEADER.pack(len(stop := pickle.dumps(None))) + stop)
            except OSError:
                pass
            self._close_socket()
        self.process.join(timeout=timeout)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)


def _retrieved(future: asyncio.Future) -> None:
    """Mark a `_remember` answer read, so a helper dying does not log an unretrieved exception."""
    if not future.cancelled():
        future.exception()
