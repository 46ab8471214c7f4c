"""Where the uncached panels of a render are drawn: in this process (`local`) or on Ray.

A render asks its executor for the panels the cache lacks and receives them one by one as
`(request, image_or_drawing, seconds)`, in whatever order they finish, so that the render
caches each panel as it arrives and shows the same progress whichever executor drew it.

The `ray` executor keeps `workers` long-lived Ray actors, each of which builds the engine once
from its name and options (`storyboard.engines.registry.create_engine`) and then draws chunks
of panel requests. Requests carry everything an engine needs (prompts, identity embeddings,
masks), so workers need neither the script nor the character library. Ray restarts an actor
that dies and retries the chunk it was drawing (`max_restarts`, `max_task_retries`); a chunk
is cached only once it has come back whole, so a lost worker never leaves a torn panel.
"""

from __future__ import annotations

import os
import signal
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any

from storyboard.errors import GenerationError, StoryboardError

if TYPE_CHECKING:
    from storyboard.engines.base import Engine, PanelRequest

EXECUTORS = ("local", "ray")
RESTARTS = 3  # times Ray restarts a dead worker actor, and retries the chunk it held
Panel = tuple["PanelRequest", Any, float]  # request, image (or drawing), seconds spent on it


def parse_executor(text: str) -> tuple[str, str | None]:
    """("local", None), or ("ray", address): `ray` (RAY_ADDRESS, else a local Ray: address
    None), `ray:auto` (the running cluster: "auto"), `ray://HOST:PORT` (a Ray client address).
    Raises StoryboardError for anything else."""
    text = str(text).strip()
    if text == "local":
        return "local", None
    if text == "ray":
        return "ray", None
    if text == "ray:auto":
        return "ray", "auto"
    if text.startswith("ray://") and len(text) > len("ray://"):
        return "ray", text
    from storyboard.errors import quote

    raise StoryboardError(f"unknown executor {quote(text)}: use local, ray, ray:auto or ray://HOST:PORT")


def executor_problems(workers: int | None, gpus_per_worker: float | None) -> list[tuple[str, Any, str]]:
    """(name, value, why) for each executor option out of range; None is "not given"."""
    import numbers

    problems = []
    whole = isinstance(workers, numbers.Integral) and not isinstance(workers, bool)  # (numpy's too)
    if workers is not None and (not whole or workers < 1):
        problems.append(("workers", workers, "at least 1" if whole else "give a whole number, at least 1"))
    number = isinstance(gpus_per_worker, numbers.Real) and not isinstance(gpus_per_worker, bool)
    if gpus_per_worker is not None and not (number and gpus_per_worker >= 0):
        problems.append(("gpus_per_worker", gpus_per_worker, "0 or more" if number else "give a number, 0 or more"))
    return problems


def generate_locally(engine: "Engine", todo: list["PanelRequest"], vector: bool = False) -> Iterator[Panel]:
    """Draw `todo` in this process, in order, one panel (or one engine batch) at a time."""
    if vector:
        for request in todo:
            t0 = time.perf_counter()
            drawing = engine.draw(request)
            yield request, drawing, time.perf_counter() - t0
        return
    batch = _batch(engine)
    render_batch = getattr(engine, "render_batch", None)
    if batch > 1 and render_batch is not None:
        for indices in chunks(todo, batch):
            chunk = [todo[i] for i in indices]
            t0 = time.perf_counter()
            images = render_batch(chunk)
            each = (time.perf_counter() - t0) / len(chunk)
            yield from ((r, im, each) for r, im in zip(chunk, images))
        return
    for request in todo:
        t0 = time.perf_counter()
        image = engine.render(request)
        yield request, image, time.perf_counter() - t0


def _batch(engine) -> int:
    return max(1, int(getattr(engine, "batch", 1) or 1))


def chunks(todo: list["PanelRequest"], size: int) -> list[list[int]]:
    """Indices of `todo` in engine batches of at most `size` panels of one drawn size (an
    engine batch runs panels of one size together): same-size panels are gathered wherever
    they are in `todo`, which may hold the panels of many stories (`render_many`)."""
    if size <= 1:
        return [[i] for i in range(len(todo))]
    by_size: dict[tuple[int, int], list[int]] = {}
    for i, request in enumerate(todo):
        by_size.setdefault((request.width, request.height), []).append(i)
    return [same[start:start + size] for same in by_size.values() for start in range(0, len(same), size)]


class LocalExecutor:
    """Today's loop: the render's own engine draws every panel in this process."""

    name = "local"

    def generate(self, engine: "Engine", spec, todo: list["PanelRequest"], vector: bool = False) -> Iterator[Panel]:
        return generate_locally(engine, todo, vector)

    def close(self) -> None:
        pass

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


class RayExecutor:
    """Draws panels on `workers` Ray actors with `gpus_per_worker` GPUs each (fractions share
    a GPU). Joins `address` (or RAY_ADDRESS), else starts a local Ray with one CPU per worker;
    `close()` leaves the cluster (and stops a Ray it started). Within a process where Ray is
    already initialised it uses that session and leaves it up. Actors are made on first use and
    kept, until `close()` or until another engine setup is asked for, so the renders of a batch
    (or of a `watch`) share them."""

    name = "ray"

    def __init__(self, address: str | None = None, *, workers: int = 1, gpus_per_worker: float = 0.0):
        from storyboard.errors import require

        self.ray = require("ray", "ray")
        self.address, self.workers, self.gpus = address, workers, float(gpus_per_worker or 0)
        self._connected = False  # this executor called ray.init (so it calls ray.shutdown)
        self._pools: dict[str, tuple[list, Any]] = {}

    def _connect(self) -> None:
        ray = self.ray
        if ray.is_initialized():
            return
        quiet = dict(include_dashboard=False, log_to_driver=False, configure_logging=False)
        address = self.address or os.environ.get("RAY_ADDRESS") or None
        with _own_stop_signals():
            try:
                if address:
                    ray.init(address=address, **({} if address.startswith("ray://") else quiet))
                else:
                    ray.init(num_cpus=self.workers, num_gpus=None, **quiet)
            except (ConnectionError, RuntimeError, ValueError) as err:
                raise GenerationError(f"cannot start or join Ray{f' at {address}' if address else ''}: "
                                      f"{str(err).splitlines()[0] if str(err) else type(err).__name__}") from None
        self._connected = True
        _driver_notices(ray, False)

    def _pool(self, spec: tuple[str, dict[str, Any]], settings: dict[str, Any]):
        import json

        key = json.dumps(spec, sort_keys=True, default=str)
        if key in self._pools:
            return self._pools[key]
        # One set of actors at a time: another engine's actors would hold the CPUs and GPUs the
        # new ones wait for (a batch whose stories use two engines would never go on).
        for actors, _ in self._pools.values():
            self._kill(actors)
        self._pools.clear()
        self._connect()
        ray = self.ray
        self._check_room()
        worker = ray.remote(max_restarts=RESTARTS, max_task_retries=RESTARTS)(_Worker)
        actors = [worker.options(num_cpus=1, num_gpus=self.gpus).remote(*spec) for _ in range(self.workers)]
        try:
            problems = ray.get([a.problem.remote(settings) for a in actors])
        except BaseException as err:  # e.g. a worker without storyboard cannot even load the actor; Ctrl-C
            if isinstance(err, ray.exceptions.RayError):
                self._kill(actors)
                raise GenerationError(f"a Ray worker cannot start: {_first_line(err)}") from None
            if not self._connected:  # else `_stop` leaves the session, which ends them
                self._kill(actors)
            raise
        for problem in problems:
            if problem:
                self._kill(actors)
                raise GenerationError(f"a Ray worker cannot draw this render's panels: {problem}")
        self._pools[key] = (actors, ray.util.ActorPool(actors))
        return self._pools[key]

    def _check_room(self) -> None:
        """Actors the cluster cannot place would wait forever: refuse them now instead."""
        total = self.ray.cluster_resources()
        cpus, gpus = total.get("CPU", 0), total.get("GPU", 0)
        if self.workers > cpus:
            raise GenerationError(f"--workers {self.workers}: the Ray cluster has {cpus:g} CPUs (one per worker)")
        if self.gpus and self.workers * self.gpus > gpus:
            raise GenerationError(f"--workers {self.workers} --gpus-per-worker {self.gpus:g}: the Ray cluster has "
                                  f"{gpus:g} GPUs")

    def generate(self, engine: "Engine", spec, todo: list["PanelRequest"], vector: bool = False) -> Iterator[Panel]:
        """Hand `todo` to the workers in engine batches (`chunks`); yield each panel as its
        batch comes back. `spec` is (engine name, options) to build the engine from."""
        if not todo:
            return
        ray = self.ray
        try:
            _, pool = self._pool(spec, engine.settings())
            batches = chunks(todo, 1 if vector else _batch(engine))
            results = pool.map_unordered(lambda a, idx: a.draw.remote([todo[i] for i in idx], vector, idx), batches)
            for drawn in results:
                for i, art, seconds in drawn:
                    yield todo[i], art, seconds
        except StoryboardError:
            raise
        except ray.exceptions.RayError as err:
            self._forget(spec)
            cause = getattr(err, "cause", None)
            if isinstance(cause, StoryboardError):  # the engine's own one-line error, raised on a worker
                raise cause from None
            raise GenerationError(f"a Ray worker failed: {_first_line(err)}") from None
        except BaseException:  # Ctrl-C or an error while caching: stop the panels still on the workers
            self._stop(spec)
            raise

    def _stop(self, spec) -> None:
        """End the workers now. Leaving a session this executor joined ends them with the
        driver's job, quietly; killing them one by one makes Ray print (on stdout) a notice for
        every panel they held, so that is done only in a session the caller owns."""
        if self._connected:
            self._pools.clear()
            self.ray.shutdown()
            _driver_notices(self.ray, True)
            self._connected = False
        else:
            self._forget(spec)

    def _forget(self, spec) -> None:
        import json

        actors, _ = self._pools.pop(json.dumps(spec, sort_keys=True, default=str), ([], None))
        self._kill(actors)

    def _kill(self, actors) -> None:
        for actor in actors:
            try:
                self.ray.kill(actor, no_restart=True)
            except Exception:  # already gone
                pass

    def close(self) -> None:
        for actors, _ in self._pools.values():
            self._kill(actors)
        self._pools.clear()
        if self._connected and self.ray.is_initialized():
            self.ray.shutdown()
        if self._connected:
            _driver_notices(self.ray, True)
        self._connected = False

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()
        return False


def _driver_notices(ray, enabled: bool) -> None:
    """Whether Ray prints its notices in the driver, such as "Task _Worker.draw failed... will
    be retried" when a worker dies. It prints them on stdout, where the command's own output
    (`--json`) goes, and a retried panel is handled here anyway. This is the switch Ray's own
    debugger (`ray.util.rpdb`) uses; sessions the caller opened are left alone."""
    worker = getattr(getattr(ray, "_private", None), "worker", None)
    if worker is not None and hasattr(worker, "_worker_logs_enabled"):
        worker._worker_logs_enabled = enabled


@contextmanager
def _own_stop_signals():
    """Keep this process's SIGINT/SIGTERM handlers across `ray.init`, which sets SIGTERM to
    `sys.exit` (and whose core worker installs a crash handler that prints a stack for it):
    `kill` must end a render as Ctrl-C does, exit 130 with one line."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for sig, handler in handlers.items():
            if handler is not None:
                signal.signal(sig, handler)


class _Worker:
    """A Ray actor: builds the engine once, then draws chunks of requests. A failure to build
    it (a missing extra on the worker, an unreadable model) is kept and reported by `problem`,
    so the driver raises one line rather than Ray's traceback of a dead actor."""

    def __init__(self, name: str, options: dict[str, Any]):
        from storyboard.engines.registry import create_engine

        self.engine, self.error = None, None
        try:
            self.engine = create_engine(name, **options)
        except StoryboardError as err:
            self.error = str(err)

    def problem(self, settings: dict[str, Any]) -> str | None:
        if self.error is not None:
            return self.error
        # The cache key is made from the driver's settings: a worker with other versions would
        # store pixels under a key that does not describe them.
        if self.engine.settings() != settings:
            return "its engine settings differ from this machine's (other storyboard or library versions)"
        return None

    def draw(self, requests: list["PanelRequest"], vector: bool, indices: list[int]) -> list[tuple[int, Any, float]]:
        if self.error is not None:
            raise GenerationError(self.error)
        return [(i, art, seconds) for i, (_, art, seconds)
                in zip(indices, generate_locally(self.engine, requests, vector))]


def _first_line(err: BaseException) -> str:
    text = str(err).strip()
    for line in text.splitlines():
        if line.strip() and not line.startswith("Traceback"):
            return line.strip()[:300]
    return type(err).__name__


def open_executor(executor: "str | LocalExecutor | RayExecutor | None", *, workers: int | None = None,
                  gpus_per_worker: float | None = None):
    """An executor object for `executor` ("local", "ray", "ray:auto", "ray://HOST:PORT", or an
    executor already open, returned as is). Raises StoryboardError for a bad name or option,
    MissingExtraError when Ray is not installed."""
    if isinstance(executor, (LocalExecutor, RayExecutor)):
        return executor
    bad = executor_problems(workers, gpus_per_worker)
    if bad:
        raise StoryboardError("; ".join(f"{name}={value!r}: {why}" for name, value, why in bad))
    kind, address = parse_executor(executor or "local")
    if kind == "local":
        unused = [f"{name}={value!r}" for name, value in (("workers", workers), ("gpus_per_worker", gpus_per_worker))
                  if value is not None]
        if unused:  # as any option that would change nothing
            raise StoryboardError(f"{', '.join(unused)} would not be used: the local executor draws in this process; "
                                  "give executor='ray' for Ray workers")
        return LocalExecutor()
    return RayExecutor(address, workers=workers or 1, gpus_per_worker=gpus_per_worker or 0.0)

