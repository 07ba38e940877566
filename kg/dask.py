"""Extraction on a Dask cluster: ``kg ingest --dask SCHEDULER_ADDRESS``.

The machine running ``kg ingest`` (the client) reads and cleans the files,
applies the relevance filter, and keeps the store; the cluster's workers run
the NLP pipeline. Documents travel to the workers in tasks of a few
documents (:data:`kg.ingest.TASK_SIZE`) and come back as N-Triples, which the
client writes to the embedded store or the remote endpoint exactly as a local
run does, so a Dask run and a local run give the same store.

Each worker builds the pipeline once: :class:`PipelinePlugin`, registered with
the client, builds it when the worker starts (and on workers that join
later); a task on a worker without it builds it then. The workers need this
package, its data files and the English model installed (the same
environment as the client); they never see the store. Run workers with one
thread each (``dask worker ADDRESS --nthreads 1 --nworkers N``): the
pipeline is CPU-bound Python, so threads in one process do not add speed.

Needs Dask, an optional dependency: ``pip install -e ".[dask]"``; see
``docs/dask.md``.
"""
from __future__ import annotations

import logging
import threading

from .errors import KGError

log = logging.getLogger(__name__)

ATTR = "_kg_extractor"        # where a worker keeps its pipeline
_lock = threading.Lock()       # one build, and one extraction at a time, per worker process
_extractor = None              # the pipeline of this process, when it is not a worker's attribute


def check_available() -> None:
    """Raise a :class:`~kg.errors.KGError` saying what to install when ``distributed`` is missing."""
    try:
        import distributed  # noqa: F401
    except ImportError:
        raise KGError('--dask needs Dask: pip install "clinical-pipeline-kg[dask]" (or "dask[distributed]")') from None


def _pipeline(worker=None):
    """This worker's extractor, built on first use."""
    global _extractor
    with _lock:
        holder = worker
        found = getattr(holder, ATTR, None) if holder is not None else _extractor
        if found is None:
            from .pipeline import Extractor
            found = Extractor()
            if holder is not None:
                setattr(holder, ATTR, found)
            else:
                _extractor = found
        return found


try:
    from distributed.diagnostics.plugin import WorkerPlugin as _WorkerPlugin
except ImportError:          # distributed not installed: the plugin is never registered
    _WorkerPlugin = object


class PipelinePlugin(_WorkerPlugin):
    """Builds the NLP pipeline once when a worker starts."""

    name = "kg-pipeline"

    def setup(self, worker):
        _pipeline(worker)

    def teardown(self, worker):
        if hasattr(worker, ATTR):
            delattr(worker, ATTR)


def extract_task(documents: list) -> list:
    """The Dask task: one outcome per document, as :func:`kg.ingest.build_documents` gives them."""
    from .ingest import build_documents, release_memory

    try:
        from distributed import get_worker
        worker = get_worker()
    except (ImportError, ValueError):
        worker = None
    try:
        extractor = _pipeline(worker)
    except Exception as e:
        return [("fatal", f"worker cannot build the NLP pipeline ({type(e).__name__}: {e})")]
    with _lock:
        try:
            return list(build_documents(extractor, documents))
        finally:
            release_memory()


class DaskRunner:
    """The runner interface of :mod:`kg.ingest` (start / result / done / close) on a Dask cluster.

    ``address`` is a scheduler address (``tcp://host:8786``) or a
    :class:`distributed.Client` / cluster object to use as it is (tests pass a
    ``LocalCluster``).
    """

    def __init__(self, address, timeout: float | None = None):
        check_available()
        from distributed import Client

        self._own = not isinstance(address, Client)
        self._slots, self._slots_at = 1, float("-inf")
        try:
            if not self._own:
                self.client = address
            elif timeout is None:         # distributed.comm.timeouts.connect (default 30 s)
                self.client = Client(address)
            else:
                self.client = Client(address, timeout=timeout)
        except (OSError, TimeoutError) as e:
            raise KGError(f"cannot reach the Dask scheduler at {address} ({type(e).__name__}: {e}); "
                          f"start one with `dask scheduler` or check the address") from None
        try:
            self.client.register_plugin(PipelinePlugin())
        except Exception as e:           # the workers will build the pipeline on their first task
            log.warning("could not register the pipeline plugin on the Dask workers: %s", e)

    @property
    def slots(self) -> int:
        """Tasks the cluster runs at once (its worker threads; asked again every few seconds)."""
        import time

        now = time.monotonic()
        if now - self._slots_at > 5:
            try:
                self._slots = max(1, sum(self.client.nthreads().values()))
            except Exception:
                self._slots = 1
            self._slots_at = now
        return self._slots

    def start(self, documents: list):
        return self.client.submit(extract_task, documents, pure=False)

    def result(self, future) -> list:
        try:
            return future.result()
        except Exception as e:
            raise KGError(f"a Dask task failed ({type(e).__name__}: {e})") from None

    def done(self, future) -> bool:
        return future.status == "finished"

    def close(self, cancel: bool = False):
        if self._own:
            try:
                self.client.close()
            except Exception:            # the run's outcome matters more than a clean disconnect
                log.debug("closing the Dask client failed", exc_info=True)
