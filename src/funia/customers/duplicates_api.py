"""API of duplicate scans: /duplicates (clusters of the latest scan) and /duplicates/scan(s)."""

from datetime import datetime
from typing import Literal

from ninja import Field, Query, Router, Schema, Status

from funia.api.pagination import Page
from funia.api.schemas import Id, InputSchema
from funia.customers import dedupe

router = Router(tags=["duplicates"])

RecordType = Literal["contact", "account"]


class DuplicateScanIn(InputSchema):
    type: RecordType


class DuplicateScanOut(Schema):
    id: int
    type: RecordType
    status: Literal["queued", "running", "done", "failed"]
    processed: int = Field(description="Records read so far.")
    total: int = Field(description="Records to read.")
    progress: int = Field(description="Percent of the records read (100 once done).")
    clusters: int = Field(alias="cluster_count", description="Clusters found (once done).")
    error: str
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None


class DuplicateRecordOut(Schema):
    id: int
    name: str


class DuplicateClusterOut(Schema):
    id: int
    type: RecordType
    records: list[DuplicateRecordOut]
    score: int = Field(description="Confidence 0-100: the weakest link holding the cluster.")
    reasons: list[str] = Field(description=f"What matched: {', '.join(dedupe.REASONS)}.")

    @staticmethod
    def resolve_records(obj):
        return [
            {"id": record.pk, "name": str(record)}
            for record in (getattr(member, obj.type) for member in obj.visible_members)
        ]


class DuplicateListOut(Schema):
    items: list[DuplicateClusterOut]
    count: int
    next: str | None
    scan: DuplicateScanOut | None = Field(description="The finished scan the clusters are from.")
    latest_scan: DuplicateScanOut | None = Field(
        description="The newest scan of this type, finished or not (poll it for progress)."
    )


class DuplicateListQuery(Page.Input):
    type: RecordType = "contact"


@router.get(
    "/duplicates",
    response=DuplicateListOut,
    summary="Duplicate clusters of the latest finished scan",
    description=(
        "Clusters of at least two records you can see, best first, paged like every list. "
        "Records merged or trashed since the scan drop out of their cluster."
    ),
)
def duplicate_list(request, query: Query[DuplicateListQuery]):
    actor = request.auth
    scan = dedupe.duplicate_scan_latest(actor=actor, record_type=query.type, finished=True)
    latest = dedupe.duplicate_scan_latest(actor=actor, record_type=query.type)
    clusters = dedupe.duplicate_cluster_list(actor=actor, scan=scan)
    page = Page().paginate_queryset(clusters, query, request)
    return page | {"scan": scan, "latest_scan": latest}


@router.post(
    "/duplicates/scan",
    response={202: DuplicateScanOut},
    summary="Start a duplicate scan (admins and sales managers)",
    description=(
        "Queues a scan of the organisation's contacts or accounts; while one of that type is "
        "queued or running, that one is returned. Poll /duplicates/scans/{scan_id}."
    ),
)
def duplicate_scan_start(request, payload: DuplicateScanIn):
    return Status(202, dedupe.duplicate_scan_start(by=request.auth, record_type=payload.type))


@router.get(
    "/duplicates/scans/{scan_id}", response=DuplicateScanOut, summary="A scan and its progress"
)
def duplicate_scan_get(request, scan_id: Id):
    return dedupe.duplicate_scan_get(actor=request.auth, pk=scan_id)
