"""Running an import: the file in chunks, each chunk's records and progress in one transaction.

`process_import` is what the background job (and `funia import`) runs. It is idempotent and
resumable: each chunk's records, row errors and the job's `processed` offset are committed
together, so a job killed at any point continues from the last committed chunk and never
writes a row twice. A job that is already finished returns at once.
"""

import contextlib
import gc
import itertools
import multiprocessing
import os
import queue as queue_module
import signal
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

from django.conf import settings
from django.core.files.storage import default_storage
from django.db import DatabaseError, connections, transaction
from django.db.transaction import TransactionManagementError
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.core.actor import Actor
from funia.core.models import Membership
from funia.core.visibility import require_writer
from funia.imports import parsers, registry
from funia.imports.models import ImportJob, ImportRowError
from funia.imports.registry import ImportTarget, RowOutcome

CHUNK_SIZE = 1000
# Imports of at least this many rows validate the next chunk in a helper process while the
# current one is written (settings.IMPORT_HELPER_PROCESS = False turns it off).
HELPER_FROM_ROWS = 5 * CHUNK_SIZE
# Validation costs more than writing: two helpers (at most one per core) keep the writer fed
# (settings.IMPORT_HELPER_PROCESSES).
HELPER_PROCESSES = 2
COUNTERS = {"create": "created", "update": "updated", "skip": "skipped", "fail": "failed"}
# An import allocates millions of short-lived objects: Python's cyclic garbage collector
# would otherwise run every 700 allocations and walk all of Django's long-lived objects in
# its full passes (a fifth of the import's time). During a run: everything alive before it
# is frozen (left out of the passes) and the young generation is collected less often.
GC_THRESHOLDS = (50_000, 20, 100)
# SQLite's page cache of the writing connection during a run (KiB; its default is 2 MB):
# the indexes of the tables an import fills outgrow the default within the first chunks.
SQLITE_CACHE_KIB = 64 * 1024


class ImportStopped(Exception):
    """The job cannot run (its user left the organisation, its file is gone, ...)."""


@dataclass
class ImportRun:
    """What a target's processor needs to know about the run."""

    job: ImportJob
    actor: Actor
    target: ImportTarget
    columns: list[tuple[int, str, str]]  # (cell index, header, field key) of mapped columns
    preview: bool = False
    deferred: list[dict] = field(default_factory=list)

    @property
    def dry_run(self) -> bool:
        return self.preview or self.job.dry_run

    @property
    def on_duplicate(self) -> str:
        return self.job.on_duplicate

    def defer(self, item: dict) -> None:
        """Keep something for the end of the run (saved with the current chunk)."""
        self.deferred.append(item)


def mapped_columns(job: ImportJob) -> list[tuple[int, str, str]]:
    return [
        (index, header, job.mapping[header])
        for index, header in enumerate(job.headers)
        if job.mapping.get(header)
    ]


def actor_of(job: ImportJob) -> Actor:
    """The user who started the import, with their current role in the organisation."""
    membership = (
        Membership.objects.for_tenant(job.tenant_id)
        .filter(user_id=job.owner_id, is_active=True)
        .select_related("tenant", "user")
        .first()
    )
    if membership is None:
        raise ImportStopped(_("The user who started the import is no longer a member."))
    token = job.token if job.token_id and job.token.revoked_at is None else None
    return Actor.from_membership(membership, token=token)


def new_run(job: ImportJob, *, preview: bool = False) -> ImportRun:
    actor = actor_of(job)
    require_writer(actor)
    target = registry.get(job.target)
    if target is None:
        raise ImportStopped(_("Unknown import type “%(type)s”.") % {"type": job.target})
    return ImportRun(job, actor, target, mapped_columns(job), preview, list(job.deferred))


def table_info(job: ImportJob) -> parsers.TableInfo:
    return parsers.TableInfo(job.file_format, job.headers, job.encoding, job.delimiter)


def open_file(job: ImportJob):
    if not default_storage.exists(job.stored_path):
        raise ImportStopped(_("The uploaded file is no longer there."))
    return default_storage.open(job.stored_path, "rb")


def _batches(items, size: int):
    iterator = iter(items)
    while batch := list(itertools.islice(iterator, size)):
        yield batch


def _locked(job: ImportJob) -> ImportJob:
    return ImportJob.objects.for_tenant(job.tenant_id).select_for_update().get(pk=job.pk)


def _record(job: ImportJob, outcomes: list[RowOutcome]) -> None:
    """Add the outcomes to the job's counters and its row errors (caller's transaction)."""
    errors = []
    for outcome in outcomes:
        if outcome.action in COUNTERS:
            name = COUNTERS[outcome.action]
            setattr(job, name, getattr(job, name) + 1)
        errors.extend(
            ImportRowError(
                tenant_id=job.tenant_id,
                job=job,
                row=outcome.number,
                column=column[:255],
                value=value,
                message=message,
            )
            for column, value, message in outcome.errors
        )
    ImportRowError.objects.bulk_create(errors)


def _start(job: ImportJob) -> ImportJob:
    with transaction.atomic():
        job = _locked(job)
        if job.is_finished or job.status == ImportJob.Status.DRAFT:
            return job
        if job.dry_run and job.processed:
            # A dry run keeps its memory of earlier rows only in the process: start over.
            ImportRowError.objects.for_tenant(job.tenant_id).filter(job=job).delete()
            job.processed = job.created = job.updated = job.skipped = job.failed = 0
            job.deferred = []
        job.status = ImportJob.Status.RUNNING
        job.started_at = job.started_at or timezone.now()
        job.attempts += 1
        job.updated_at = timezone.now()
        job.save()
    return job


@contextlib.contextmanager
def few_collections():
    """Less cyclic garbage collection while an import runs (see GC_THRESHOLDS); the
    process's settings are restored and the frozen objects released afterwards."""
    thresholds = gc.get_threshold()
    # A process that freezes objects itself (a pre-forking server) keeps its own freeze.
    frozen_before = gc.get_freeze_count()
    gc.freeze()
    gc.set_threshold(
        *(max(ours, theirs) for ours, theirs in zip(GC_THRESHOLDS, thresholds, strict=True))
    )
    try:
        yield
    finally:
        gc.set_threshold(*thresholds)
        if not frozen_before:
            gc.unfreeze()


@contextlib.contextmanager
def larger_page_cache():
    """A bigger SQLite page cache on the writing connection while an import runs (see
    SQLITE_CACHE_KIB); put back afterwards. Nothing to do on PostgreSQL (a server setting)."""
    connection = connections["default"]
    if connection.vendor != "sqlite":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA cache_size")
        before = cursor.fetchone()[0]
        cursor.execute(f"PRAGMA cache_size = {-int(SQLITE_CACHE_KIB)}")
    try:
        yield
    finally:
        # Not on a connection closed meanwhile, nor over the error that ended the run.
        with contextlib.suppress(DatabaseError, TransactionManagementError):
            if connection.connection is not None:
                with connection.cursor() as cursor:
                    cursor.execute(f"PRAGMA cache_size = {int(before)}")


def _commit_without_flush_wait() -> None:
    """PostgreSQL: this transaction's commit does not wait for its WAL to reach the disk.

    Safe for a chunk: its records and the job's `processed` offset commit together, so a
    server crash that loses the last commits loses them together, and the resumed job
    writes those rows again. (SQLite in WAL mode with synchronous=NORMAL already commits
    without a flush.)
    """
    connection = connections["default"]
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL synchronous_commit = off")


def _no_queries(*args):
    raise RuntimeError("The import's helper process must not query the database.")


def _use_helper(job: ImportJob) -> bool:
    return (
        getattr(settings, "IMPORT_HELPER_PROCESS", True)
        and (os.cpu_count() or 1) > 1
        and (job.total or 0) - job.processed >= HELPER_FROM_ROWS
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _chunks_here(
    processor, job: ImportJob, offset: int, share: tuple[int, int] = (0, 1)
) -> Iterator[tuple[int, list]]:
    """(row count, prepared rows) per chunk, read and validated in this process.

    `share` (index, of): only every `of`-th chunk from the `index`-th on (a helper's part).
    """
    index, of = share
    with (
        open_file(job) as binary,
        contextlib.closing(parsers.rows(binary, table_info(job))) as rows,
    ):
        chunks = _batches(itertools.islice(rows, offset, None), CHUNK_SIZE)
        for chunk in itertools.islice(chunks, index, None, of):
            yield len(chunk), processor.prepare_rows(chunk)


def _helper_main(processor, job: ImportJob, offset: int, queue, share=(0, 1)) -> None:
    """In a forked helper: read the file, validate its chunks, hand them over packed."""
    # Forked from a worker that may have its own SIGTERM/SIGINT handlers: the helper ends
    # on SIGTERM and leaves Ctrl-C to the parent.
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    # What the helper inherited stays alive until it ends: no collection needs to walk it
    # (nor to touch, and so copy, the parent's memory pages).
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
    try:
        with connections["default"].execute_wrapper(_no_queries):
            for count, items in _chunks_here(processor, job, offset, share):
                queue.put(("chunk", count, processor.pack(items)))
        queue.put(("end",))
    except BaseException as exc:  # handed to the parent, which raises it
        queue.put(("error", exc if isinstance(exc, parsers.FileProblem) else repr(exc)))


def _helper_count() -> int:
    wanted = getattr(settings, "IMPORT_HELPER_PROCESSES", HELPER_PROCESSES)
    return max(1, min(int(wanted), os.cpu_count() or 1))


def _chunks_from_helper(processor, job: ImportJob, offset: int) -> Iterator[tuple[int, list]]:
    """As _chunks_here, with the reading and validating done in forked helper processes.

    With n helpers, helper k validates chunks k, k + n, k + 2n, ... (each reads the whole
    file, which costs little next to the validation) and this process takes the chunks
    in the file's order, one from each helper in turn. Each helper keeps up to two chunks
    ready while this process writes; they inherit this process's database connections
    but never use them (`_no_queries`) and end without touching them (os._exit, SIGTERM).

    A thread of this process receives the next chunk and unpacks it while the current one
    is written (the database works with Python's lock released): the chunks still come in
    the file's order, and the thread stops when the writing does.
    """
    context = multiprocessing.get_context("fork")
    count = _helper_count()
    queues = [context.Queue(maxsize=2) for _n in range(count)]
    helpers = [
        context.Process(
            target=_helper_main,
            args=(processor, job, offset, queue, (index, count)),
            daemon=True,
        )
        for index, queue in enumerate(queues)
    ]
    for helper in helpers:
        helper.start()  # from this thread: a fork copies only the forking thread
    ready: queue_module.Queue = queue_module.Queue(maxsize=PREFETCH_CHUNKS)
    stop = threading.Event()
    reader = threading.Thread(
        target=_receive,
        args=(processor, queues, helpers, ready, stop),
        name="funia-import-receiver",
        daemon=True,
    )
    reader.start()
    try:
        while True:
            message = ready.get()
            if message[0] == "chunk":
                yield message[1], message[2]
            elif message[0] == "end":
                return  # the file ends here
            elif message[0] == "dead":
                raise ImportStopped(_("The import's helper process ended unexpectedly."))
            elif message[0] == "error":
                problem = message[1]
                raise problem if isinstance(problem, Exception) else RuntimeError(problem)
            else:  # "raise": the receiving thread failed
                raise message[1]
    finally:
        stop.set()
        reader.join()
        for helper in helpers:
            helper.terminate()
        for helper, queue in zip(helpers, queues, strict=True):
            helper.join()
            queue.close()


# Chunks received and unpacked ahead of the writing (each holds a chunk's records).
PREFETCH_CHUNKS = 1
_POLL_SECONDS = 0.5


def _receive(processor, queues, helpers, ready, stop) -> None:
    """In a thread: the helpers' chunks in the file's order, unpacked, into `ready`."""

    def offer(message) -> bool:
        while not stop.is_set():
            try:
                ready.put(message, timeout=_POLL_SECONDS)
                return True
            except queue_module.Full:
                continue
        return False

    try:
        for index in itertools.cycle(range(len(queues))):
            queue, helper = queues[index], helpers[index]
            while True:
                if stop.is_set():
                    return
                try:
                    message = queue.get(timeout=_POLL_SECONDS)
                    break
                except queue_module.Empty:
                    if not helper.is_alive():
                        offer(("dead",))
                        return
            if message[0] == "end":
                # The file ends here: the next chunk would have been this helper's.
                offer(("end",))
                return
            if message[0] == "error":
                offer(message)
                return
            if not offer(("chunk", message[1], processor.unpack(message[2]))):
                return
    except BaseException as exc:  # handed to the writing thread, which raises it
        offer(("raise", exc))


def process_import(
    job: ImportJob,
    *,
    max_chunks: int | None = None,
    on_progress: Callable[[ImportJob], None] | None = None,
) -> ImportJob:
    """Run (or continue) an import; returns the job as it stands afterwards."""
    job = _start(job)
    if job.status != ImportJob.Status.RUNNING:
        return job
    run = new_run(job)
    processor = run.target.processor(run)
    if job.total is None:
        with open_file(job) as binary:
            job.total = parsers.count_rows(binary, table_info(job))
        ImportJob.objects.for_tenant(job.tenant_id).filter(pk=job.pk).update(total=job.total)
    source = _chunks_from_helper if _use_helper(job) else _chunks_here
    with (
        few_collections(),
        larger_page_cache(),
        contextlib.closing(source(processor, job, job.processed)) as chunks,
    ):
        for number, (count, prepared) in enumerate(chunks, start=1):
            with transaction.atomic():
                current = _locked(job)
                if current.processed != job.processed or current.status != job.status:
                    return current  # another worker took over this job
                _commit_without_flush_wait()
                job = current
                _record(job, processor.process_prepared(prepared))
                job.processed += count
                job.deferred = run.deferred
                job.updated_at = timezone.now()
                job.save()
            if on_progress:
                on_progress(job)
            if max_chunks and number >= max_chunks:
                return job
    with transaction.atomic():
        job = _locked(job)
        if job.status != ImportJob.Status.RUNNING:
            return job
        _record(job, processor.finish(list(job.deferred)))
        job.status = ImportJob.Status.DONE
        job.finished_at = job.updated_at = timezone.now()
        job.deferred = []
        job.save()
    if on_progress:
        on_progress(job)
    return job


def mark_failed(job: ImportJob, message: str) -> ImportJob:
    with transaction.atomic():
        job = _locked(job)
        if job.status != ImportJob.Status.DONE:
            job.status = ImportJob.Status.FAILED
            job.message = message[:2000]
            job.finished_at = job.updated_at = timezone.now()
            job.save()
    return job


def preview(job: ImportJob, limit: int = 20) -> list[tuple[parsers.Row, RowOutcome]]:
    """The first rows with what the import would do to each (nothing is written)."""
    run = new_run(job, preview=True)
    processor = run.target.processor(run)
    with open_file(job) as binary:
        rows = list(itertools.islice(parsers.rows(binary, table_info(job)), limit))
    with transaction.atomic():
        outcomes = processor.process(rows)
        transaction.set_rollback(True)
    return list(zip(rows, outcomes, strict=True))
