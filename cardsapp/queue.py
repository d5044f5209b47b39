"""RQ wiring: one Redis connection per process, jobs carry ids, enqueued after commit."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import redis
from flask import Flask, current_app
from rq import Queue
from rq.exceptions import NoSuchJobError
from rq.job import Job, JobStatus
from rq.serializers import JSONSerializer
from sqlalchemy import event
from sqlalchemy.orm import Session

log = logging.getLogger(__name__)

# Queues named by workload, so a flood of one kind cannot starve another.
QUEUE_NAMES = ("batches", "default")
_PENDING = "cardsapp.pending_jobs"


@dataclass(frozen=True)
class PendingJob:
    func: str
    args: tuple[int | str, ...]
    queue: str
    job_id: str | None


@dataclass
class JobQueues:
    """The Redis connection and queues of one app."""

    connection: redis.Redis
    queues: dict[str, Queue] = field(default_factory=dict)

    def queue(self, name: str = "default") -> Queue:
        if name not in self.queues:
            self.queues[name] = Queue(name, connection=self.connection, serializer=JSONSerializer)
        return self.queues[name]

    def job_is_waiting(self, job_id: str | None) -> bool:
        """True if RQ holds the job in its queue (or deferred/scheduled): it will run.

        A job's status alone is not enough: a worker killed between taking the job off the
        queue and starting it leaves the job "queued" in no queue, and it would never run.
        Redis errors propagate: "unknown" must not be read as "lost".
        """
        if not job_id:
            return False
        try:
            job = Job.fetch(job_id, connection=self.connection, serializer=JSONSerializer)
            status = job.get_status(refresh=False)
            if status == JobStatus.QUEUED:
                return self.queue(job.origin).get_job_position(job_id) is not None
        except NoSuchJobError:
            return False
        return status in (JobStatus.DEFERRED, JobStatus.SCHEDULED)

    def job_progress(self, job_id: str | None) -> int:
        """How many items the job says it has done (its meta "done"), 0 when unknown."""
        if not job_id:
            return 0
        try:
            job = Job.fetch(job_id, connection=self.connection, serializer=JSONSerializer)
            return int(job.get_meta(refresh=False).get("done", 0))
        except (NoSuchJobError, redis.RedisError, TypeError, ValueError):
            return 0

    def enqueue_now(self, job: PendingJob) -> None:
        """Hand a job to Redis; the row it refers to is already committed."""
        self.queue(job.queue).enqueue(
            job.func, *job.args, job_id=job.job_id, result_ttl=3600, failure_ttl=86400
        )


def connect_redis(url: str) -> redis.Redis:
    """A client with short timeouts: Redis trouble must not hang a request."""
    return redis.Redis.from_url(
        url, socket_connect_timeout=1.0, socket_timeout=2.0, health_check_interval=30
    )


def init_app(app: Flask, redis_url: str) -> None:
    """Attach the queues to the app."""
    app.extensions["cardsapp.queues"] = JobQueues(connect_redis(redis_url))


def job_queues() -> JobQueues:
    """The current app's queues."""
    return current_app.extensions["cardsapp.queues"]


def enqueue_after_commit(
    session: Session,
    func: str,
    *args: int | str,
    queue: str = "default",
    job_id: str | None = None,
) -> None:
    """Enqueue func(*ids) once the session's transaction commits; never on rollback."""
    if any(not isinstance(a, int | str) for a in args):
        raise TypeError("jobs carry ids only")
    queues = job_queues()
    pending = session.info.setdefault(_PENDING, [])
    pending.append((queues, PendingJob(func, args, queue, job_id)))


@event.listens_for(Session, "after_commit")
def _enqueue_pending(session: Session) -> None:
    for queues, job in session.info.pop(_PENDING, []):
        try:
            queues.enqueue_now(job)
        except redis.RedisError:
            # The row is committed; the reconciler re-enqueues work whose job is missing.
            log.warning("could not enqueue %s; left for the reconciler", job.func)


@event.listens_for(Session, "after_rollback")
def _drop_pending(session: Session) -> None:
    session.info.pop(_PENDING, None)
