"""Pages made on several cores: `page_map(fn, items)` runs `fn` over the items in worker
processes forked from this one, so they share everything already loaded (the story, the
layout, the fonts, the panels' drawings) without pickling it; only each item and each result
cross a pipe, so both should be small (a page index in, a file name or a report out).

Workers ignore SIGINT (Ctrl-C reaches the whole process group; the render's own process
answers it) and end on SIGTERM, which is how they are stopped when the render fails or is
interrupted, and what the kernel sends them should the render's process be killed: nothing
they leave behind is an output (pieces and drawings are written atomically), and the
temporary files they were writing are removed first.
`STORYBOARD_WORKERS=1` keeps everything in this process; so does a platform without `fork`.
"""

from __future__ import annotations

import os
import signal
from typing import Any, Callable, Iterator, Sequence

from storyboard.cache import WRITING
from storyboard.errors import ExportError

_JOBS: dict[int, Callable[[Any], Any]] = {}  # what forked workers call, by job id


def check_setting() -> int | None:
    """`STORYBOARD_WORKERS`, the number of page processes asked for, or None when it is unset
    or empty. Raises ExportError for one that is not a whole number of 1 or more (`abc`, `0`,
    `-3`, `1e3` were ignored without a word: the default was used; `²`, a digit to
    str.isdigit, was a ValueError)."""
    setting = os.environ.get("STORYBOARD_WORKERS", "").strip()
    if not setting:
        return None
    if not (setting.isascii() and setting.isdigit() and int(setting) > 0):
        raise ExportError(f"STORYBOARD_WORKERS={setting!r}: give a whole number of page processes, 1 or more "
                          "(1: pages are made in the render's own process), or unset it")
    return int(setting)


def workers_for(count: int) -> int:
    """How many processes to use for `count` pages: the cores this process may use (at most
    8, or `STORYBOARD_WORKERS`), never more than a worker per 2 pages."""
    import multiprocessing

    if "fork" not in multiprocessing.get_all_start_methods():
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    limit = check_setting() or min(8, cores)
    return max(1, min(limit, count // 2))


def page_map(fn: Callable[[Any], Any], items: Sequence[Any]) -> Iterator:
    """`fn(item)` for each item of `items`, in order. With more than one worker (`workers_for`)
    the calls run in forked processes; each result is yielded as soon as it and those before it
    are done. Exceptions raised by `fn` are raised here (they must pickle: storyboard's errors
    do). Stopping the iteration early, or an exception here (Ctrl-C), stops the workers."""
    workers = workers_for(len(items))
    if workers <= 1:
        yield from map(fn, items)
        return
    import multiprocessing

    from storyboard._signals import held

    from storyboard import _gc

    job = id(fn)
    _JOBS[job] = fn
    with _gc.frozen():  # what the workers inherit is never traversed (nor copied) by their collector
        with held():  # the workers start with stop signals held, until they have set their own handlers
            pool = _pool_class()(workers, initializer=_worker_signals, initargs=(os.getpid(),),
                                 context=multiprocessing.get_context("fork"))
        try:
            yield from _results(pool, pool.imap(_call, [(job, item) for item in items]))
            pool.close()
        finally:
            _terminate(pool)
            _JOBS.pop(job, None)


WATCH = 1.0  # seconds between looks at the workers while a result is awaited


def _results(pool, results) -> Iterator:
    """The results of `pool.imap`, as they come. A worker that ends while the pool runs was
    killed (workers take every page until the pool is closed): the pool would start another
    and wait forever for the page it was making, so that is an ExportError instead."""
    import multiprocessing

    started = list(pool._pool)
    while True:
        try:
            result = results.next(timeout=WATCH)
        except StopIteration:
            return
        except multiprocessing.TimeoutError:
            for process in started:
                code = process.exitcode
                if code is not None:
                    raise ExportError(_died(code)) from None
            continue
        yield result


def _died(code: int) -> str:
    how = f"with status {code}"
    if code < 0:
        try:
            how = f"by {signal.Signals(-code).name}"
        except ValueError:
            how = f"by signal {-code}"
    hint = " (the system may have run out of memory: STORYBOARD_WORKERS=1 uses one process)" if code == -9 else ""
    return f"a page worker process was ended {how}{hint}"


def _pool_class():
    """`multiprocessing.Pool` whose worker-handler thread sleeps until a worker exits or the
    pool changes state. CPython's also wakes it whenever a result is waiting to be read, and
    it spins until the result thread has read it: thousands of wake-ups, 0.1 s of the render
    process's CPU for a 100-page book. Its `terminate` waits STOP_WAIT seconds at most for
    the lock of the workers' queue (see `_help_stuff_finish`)."""
    import time
    from multiprocessing.pool import Pool

    class QuietPool(Pool):
        def _get_sentinels(self):
            notifier = getattr(self, "_change_notifier", None)  # CPython 3.8+ has it
            return super()._get_sentinels() if notifier is None else [notifier._reader]

        @staticmethod
        def _help_stuff_finish(inqueue, task_handler, size):
            # CPython's waits for ever for the lock an idle worker holds while it waits for
            # the next page; a worker that died holding it (one started in place of a killed
            # one is forked by the pool's thread, and gets SIGTERM when that thread ends)
            # never gives it back. Then no worker can read the queue any more: it is drained
            # without the lock.
            inqueue._rlock.acquire(timeout=STOP_WAIT)
            while task_handler.is_alive() and inqueue._reader.poll():
                inqueue._reader.recv()
                time.sleep(0)

    return QuietPool


STOP_WAIT = 5.0  # seconds a worker has to end on SIGTERM before it is killed


def _terminate(pool) -> None:
    """`pool.terminate()`: SIGTERM to each worker (which removes the temporary files it is
    writing and ends), then wait for them. A worker still there after STOP_WAIT seconds is
    killed: one blocked where no Python signal handler can run must not hold the render."""
    import threading

    done = threading.Event()

    def kill_stragglers() -> None:
        if done.wait(STOP_WAIT):
            return
        for process in list(getattr(pool, "_pool", ())):
            if process.exitcode is None and _parent_of(process.pid) == os.getpid():  # ours, not a reused pid
                process.kill()

    threading.Thread(target=kill_stragglers, daemon=True).start()
    try:
        pool.terminate()  # also joins the workers
    finally:
        done.set()


def _parent_of(pid: int) -> int | None:
    try:
        with open(f"/proc/{pid}/stat", "rb") as fh:
            return int(fh.read().rsplit(b")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):  # gone, or no /proc: Process.kill's own check then
        return os.getpid() if not os.path.isdir("/proc") else None


def _worker_signals(parent: int) -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, _stopped)
    _die_with(parent)
    if hasattr(signal, "pthread_sigmask"):
        signal.pthread_sigmask(signal.SIG_UNBLOCK, (signal.SIGINT, signal.SIGTERM))


def _stopped(signum: int, frame: Any) -> None:
    """SIGTERM in a worker: remove the temporary files it is writing into the cache (a page's
    pieces, a panel's drawing), then end at once, running nothing else of the render's."""
    for tmp in list(WRITING):
        try:
            os.unlink(tmp)
        except OSError:  # renamed into place meanwhile, or gone
            pass
    os._exit(128 + signum)


def _call(job_item: tuple[int, Any]) -> Any:
    job, item = job_item
    return _JOBS[job](item)


def _die_with(parent: int) -> None:
    """On Linux, have the kernel send this worker SIGTERM when the render's process dies (a
    SIGKILL gives it no chance to stop its workers, which would otherwise wait forever)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux
        return
    if os.getppid() != parent:  # it died before the request was made
        os._exit(1)
