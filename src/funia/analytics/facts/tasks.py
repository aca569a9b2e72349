"""Background job of the funnel facts: rebuild a large pipeline's facts after its stages
changed (the reports use the raw history until it is done)."""

from funia.core.jobs import job


@job(max_attempts=3, backoff_seconds=60)
def rebuild_funnel_facts(tenant_id: int, pipeline_ids: list[int]) -> None:
    from funia.analytics.facts.build import rebuild_pipelines

    rebuild_pipelines(tenant=tenant_id, pipeline_ids=pipeline_ids)
