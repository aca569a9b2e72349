"""Duplicate scans: the services that queue, run and publish them, and their selectors."""

from datetime import timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Prefetch, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from funia.core.actor import Actor
from funia.core.jobs import enqueue_on_commit
from funia.core.models import Role
from funia.core.visibility import visible_records
from funia.customers.dedupe.scan import FoundCluster, find_clusters
from funia.customers.models import (
    Account,
    Contact,
    DuplicateCluster,
    DuplicateClusterMember,
    DuplicateScan,
)
from funia.customers.tasks import scan_duplicates

# -- scans: services and selectors -------------------------------------------------------

SCAN_ROLES = {Role.ADMIN, Role.SALES_MANAGER}
SCAN_ABANDONED = timedelta(minutes=30)  # an active scan not touched for this long is dead
KEEP_SCANS = 5  # finished scans kept per type (older ones and their clusters are removed)


def can_scan(actor: Actor) -> bool:
    return actor.role in SCAN_ROLES


def duplicate_scan_start(*, by: Actor, record_type: str) -> DuplicateScan:
    """Queue a scan of the organisation's contacts or accounts (admins and sales managers).

    A scan of that type already queued or running is returned instead of a second one.
    """
    if not can_scan(by):
        raise PermissionDenied(
            gettext("Only administrators and sales managers may scan for duplicates.")
        )
    if record_type not in DuplicateScan.Type.values:
        raise ValidationError({"type": gettext("Use “contact” or “account”.")})
    with transaction.atomic():
        active = (
            DuplicateScan.objects.for_tenant(by.tenant)
            .filter(
                type=record_type,
                status__in=[DuplicateScan.Status.QUEUED, DuplicateScan.Status.RUNNING],
                updated_at__gte=timezone.now() - SCAN_ABANDONED,
            )
            .order_by("-pk")
            .first()
        )
        if active is not None:
            return active
        scan = DuplicateScan.objects.create(
            tenant=by.tenant, type=record_type, requested_by=by.user
        )
        enqueue_on_commit(scan_duplicates, by.tenant.pk, scan.pk)
    return scan


def duplicate_scan_run(*, tenant_id: int, scan_id: int) -> None:
    """Run a scan and publish its clusters (the job's work). Idempotent: a finished scan
    is left alone; a failed or interrupted one starts over and replaces what it wrote."""
    scans = DuplicateScan.objects.for_tenant(tenant_id).filter(pk=scan_id)
    scan = scans.first()
    if scan is None or scan.status == DuplicateScan.Status.DONE:
        return
    now = timezone.now()
    scans.update(
        status=DuplicateScan.Status.RUNNING,
        started_at=now,
        updated_at=now,
        processed=0,
        finished_at=None,
        error="",
    )

    def progress(processed: int, total: int) -> None:
        scans.update(processed=processed, total=total, updated_at=timezone.now())

    try:
        found = find_clusters(tenant=tenant_id, record_type=scan.type, progress=progress)
        _publish(scan, found)
    except Exception:
        scans.update(
            status=DuplicateScan.Status.FAILED,
            error=gettext("The scan failed; it is retried automatically."),
            finished_at=timezone.now(),
            updated_at=timezone.now(),
        )
        raise


def _publish(scan: DuplicateScan, found: list[FoundCluster]) -> None:
    tenant_id, owner = scan.tenant_id, scan.type
    with transaction.atomic():
        _delete_clusters(tenant_id, [scan.pk])
        for offset in range(0, len(found), 1000):
            batch = found[offset : offset + 1000]
            clusters = DuplicateCluster.objects.bulk_create(
                [
                    DuplicateCluster(
                        tenant_id=tenant_id,
                        scan=scan,
                        type=scan.type,
                        score=cluster.score,
                        reasons=cluster.reasons,
                        size=len(cluster.record_ids),
                    )
                    for cluster in batch
                ]
            )
            DuplicateClusterMember.objects.bulk_create(
                [
                    DuplicateClusterMember(
                        tenant_id=tenant_id, cluster=saved, **{f"{owner}_id": pk}
                    )
                    for saved, cluster in zip(clusters, batch, strict=True)
                    for pk in cluster.record_ids
                ],
                batch_size=5000,
            )
        now = timezone.now()
        scans = DuplicateScan.objects.for_tenant(tenant_id)
        scans.filter(pk=scan.pk).update(
            status=DuplicateScan.Status.DONE,
            cluster_count=len(found),
            finished_at=now,
            updated_at=now,
        )
        old = list(
            scans.filter(
                type=scan.type,
                status__in=[DuplicateScan.Status.DONE, DuplicateScan.Status.FAILED],
            )
            .order_by("-created_at", "-pk")
            .values_list("pk", flat=True)[KEEP_SCANS:]
        )
        if old:
            _delete_clusters(tenant_id, old)
            scans.filter(pk__in=old).delete()


def _delete_clusters(tenant_id: int, scan_ids: list[int]) -> None:
    DuplicateClusterMember.objects.for_tenant(tenant_id).filter(
        cluster__scan_id__in=scan_ids
    ).delete()
    DuplicateCluster.objects.for_tenant(tenant_id).filter(scan_id__in=scan_ids).delete()


def duplicate_scan_get(*, actor: Actor, pk: int) -> DuplicateScan:
    return DuplicateScan.objects.for_tenant(actor.tenant).get(pk=pk)


def duplicate_scan_latest(
    *, actor: Actor, record_type: str, finished: bool = False
) -> DuplicateScan | None:
    """The newest scan of that type (only finished ones when `finished`)."""
    scans = DuplicateScan.objects.for_tenant(actor.tenant).filter(type=record_type)
    if finished:
        scans = scans.filter(status=DuplicateScan.Status.DONE)
    return scans.order_by("-created_at", "-pk").first()


def duplicate_cluster_list(*, actor: Actor, scan: DuplicateScan | None) -> QuerySet:
    """A scan's clusters the actor can act on: at least two records they see that are still
    live and unmerged (merging a cluster makes it disappear); `visible_members` lists them."""
    clusters = DuplicateCluster.objects.for_tenant(actor.tenant)
    if scan is None:
        return clusters.none()
    owner = scan.type
    model = Contact if owner == "contact" else Account
    visible = visible_records(model, actor).filter(merged_into__isnull=True)
    members = (
        DuplicateClusterMember.objects.for_tenant(actor.tenant)
        .filter(**{f"{owner}__in": visible})
        .select_related(owner)
        .order_by(f"{owner}_id")
    )
    return (
        clusters.filter(scan=scan)
        .annotate(live=Count("members", filter=Q(**{f"members__{owner}__in": visible})))
        .filter(live__gte=2)
        .order_by("-score", "pk")
        .prefetch_related(Prefetch("members", queryset=members, to_attr="visible_members"))
    )
