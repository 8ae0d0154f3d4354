"""Periodic background jobs contributed by plugins (``bastion_background_jobs``)."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import structlog

log = structlog.get_logger("bastion.jobs")


@dataclass(frozen=True)
class BackgroundJob:
    """``run()`` is called every ``interval_s`` seconds on a scheduler thread.

    Jobs run on every replica: one that must run once per cluster takes a database lock.
    An exception is logged and the job runs again at its next interval.
    """

    name: str
    interval_s: float
    run: Callable[[], object]
    # A frequent housekeeping job logs its runs at debug level, not one line per run.
    quiet: bool = False


class JobScheduler:
    def __init__(self, jobs: Sequence[BackgroundJob]) -> None:
        self._jobs = list(jobs)
        self._stop = threading.Event()
        self._threads: list[threading.Thread] = []

    def start(self) -> None:
        for job in self._jobs:
            thread = threading.Thread(target=self._loop, args=(job,), daemon=True,
                                      name=f"bastion-job-{job.name}")
            thread.start()
            self._threads.append(thread)

    def _loop(self, job: BackgroundJob) -> None:
        while not self._stop.wait(job.interval_s):
            try:
                result = job.run()
                (log.debug if job.quiet else log.info)("job_ran", job=job.name, result=result)
            except Exception as error:  # noqa: BLE001 - keep the scheduler alive
                log.error("job_failed", job=job.name, error=type(error).__name__, exc_info=error)

    def stop(self) -> None:
        self._stop.set()
        for thread in self._threads:
            thread.join(timeout=5)
