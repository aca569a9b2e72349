"""Background jobs of the customer master."""

from funia.core.jobs import job


@job(max_attempts=2, backoff_seconds=60)
def scan_duplicates(tenant_id: int, scan_id: int) -> None:
    """Scan an organisation's contacts or accounts for duplicates (see dedupe.find_clusters)."""
    from funia.customers.dedupe import duplicate_scan_run

    duplicate_scan_run(tenant_id=tenant_id, scan_id=scan_id)
