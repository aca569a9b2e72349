"""The funnel facts stay exact: random sequences of the services' writes (deals created with
a history, moves forward and back, reopenings, new owners and sources, a move to another
pipeline and back, trash and restore, stage reorders), and after each write the report from
the facts equals the one from the raw history and the reference, and the facts equal a
fresh rebuild. Plus the fallbacks (a rebuild pending, a filter the facts do not hold), the
background rebuild and the command."""

import datetime
import os
import subprocess
import sys
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funia.analytics import drilldown, facts
from funia.analytics.facts.tasks import rebuild_funnel_facts
from funia.analytics.filters import HistoryParams, tenant_zone
from funia.analytics.funnel_history import historical_funnel, prepare
from funia.analytics.models import FunnelFact, FunnelFactState
from funia.sales import opportunities, pipelines
from funia.sales.models import Opportunity, Stage, StageChange
from tests import factories
from tests.analytics import reference

settings.register_profile(
    "funnel_facts",
    max_examples=int(os.environ.get("FUNNEL_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FACTS_PROFILE = settings.get_profile("funnel_facts")

OPEN = ["Qualification", "Needs analysis", "Proposal", "Negotiation"]
NAMES = [*OPEN, "Won", "Lost"]
OTHER = [
    {"name": "Elsewhere", "probability": 20},
    {"name": "Elsewhere won", "kind": "won"},
    {"name": "Elsewhere lost", "kind": "lost"},
]
SOURCES = ["Web", "Partner", ""]
DAY = 86400
FACT_FIELDS = (
    "pipeline_id",
    "opportunity_id",
    "stage_id",
    "owner_id",
    "source",
    "entered_any",
    "entered_strict",
    "advanced_any",
    "advanced_strict",
    "lost_now",
)


@pytest.fixture
def world(org):
    admin = factories.member(org, "admin")
    reps = [factories.member(org, "sales_rep") for _ in range(2)]
    team = factories.team(admin, "North", members=[reps[0]])
    pipeline = factories.pipeline(admin, name="Funnel")
    other = factories.pipeline(admin, name="Other", stages=[dict(s) for s in OTHER])
    zone = tenant_zone(org)
    today = timezone.now().astimezone(zone).date()
    # A period that ends tomorrow, so that moves made now are in it.
    start_day, end_day = today - datetime.timedelta(days=40), today + datetime.timedelta(days=1)
    return {
        "admin": admin,
        "owners": [admin.user.pk, reps[0].user.pk, reps[1].user.pk],
        "teams": {reps[0].user.pk: [team.pk]},
        "pipeline": pipeline,
        "other": other,
        "zone": zone,
        "start_day": start_day,
        "end_day": end_day,
        "start": datetime.datetime.combine(start_day, datetime.time(), tzinfo=zone),
        "end": datetime.datetime.combine(end_day, datetime.time(), tzinfo=zone),
    }


OFFSETS = st.one_of(
    st.integers(min_value=-70 * DAY, max_value=-1),
    st.sampled_from([-40 * DAY, -40 * DAY + 1, -40 * DAY - 1]),
)

CREATE = st.tuples(
    st.just("create"),
    st.lists(st.tuples(st.sampled_from(NAMES), OFFSETS), min_size=1, max_size=6),
    st.integers(min_value=0, max_value=2),
    st.sampled_from(SOURCES),
)
OPERATIONS = st.one_of(
    CREATE,
    st.tuples(st.just("move"), st.integers(0, 20), st.sampled_from(NAMES)),
    st.tuples(st.just("owner"), st.integers(0, 20), st.integers(min_value=0, max_value=2)),
    st.tuples(st.just("source"), st.integers(0, 20), st.sampled_from(SOURCES)),
    st.tuples(st.just("delete"), st.integers(0, 20)),
    st.tuples(st.just("restore"), st.integers(0, 20)),
    st.tuples(st.just("elsewhere"), st.integers(0, 20)),
    st.tuples(st.just("reorder"), st.permutations(OPEN)),
)


def apply(world, deal_ids: list[int], operation) -> None:
    admin, kind = world["admin"], operation[0]
    if kind == "create":
        _, entries, owner, source = operation
        now = timezone.now()
        history = sorted(((now + datetime.timedelta(seconds=o), n) for n, o in entries))
        deal = opportunities.opportunity_create(
            by=admin,
            name=f"Deal {len(deal_ids)}",
            pipeline_id=world["pipeline"].pk,
            owner_id=world["owners"][owner],
            source=source,
            amount=Decimal("1000.00"),
            lost_reason="Price",
            stage_history=[{"stage": name, "at": at} for at, name in history],
        )
        deal_ids.append(deal.pk)
        return
    if kind == "reorder":
        stages = list(Stage.objects.for_tenant(admin.tenant).filter(pipeline=world["pipeline"]))
        by_name = {s.name: s for s in stages}
        order = [*operation[1], "Won", "Lost"]
        pipelines.pipeline_update(
            by=admin,
            pipeline=world["pipeline"],
            fields={
                "stages": [
                    {
                        "id": by_name[n].pk,
                        "name": n,
                        "kind": by_name[n].kind,
                        "probability": by_name[n].probability,
                        "required_fields": by_name[n].required_fields,
                    }
                    for n in order
                ]
            },
        )
        return
    if not deal_ids:
        return
    pk = deal_ids[operation[1] % len(deal_ids)]
    deal = Opportunity.objects.for_tenant(admin.tenant, with_deleted=True).get(pk=pk)
    if kind == "delete":
        if not deal.is_deleted:
            opportunities.opportunity_delete(by=admin, opportunity=deal)
        return
    if kind == "restore":
        if deal.is_deleted:
            opportunities.opportunity_restore(by=admin, opportunity=deal)
        return
    if deal.is_deleted:
        return
    if kind == "move":
        stage = Stage.objects.for_tenant(admin.tenant).get(
            pipeline=world["pipeline"], name=operation[2]
        )
        if deal.pipeline_id != world["pipeline"].pk:
            fields = {"pipeline_id": world["pipeline"].pk, "stage_id": stage.pk}
            opportunities.opportunity_update(by=admin, opportunity=deal, fields=fields)
        elif deal.stage_id != stage.pk:
            opportunities.opportunity_move(by=admin, opportunity=deal, stage_id=stage.pk)
    elif kind == "owner":
        fields = {"owner_id": world["owners"][operation[2]]}
        opportunities.opportunity_update(by=admin, opportunity=deal, fields=fields)
    elif kind == "source":
        opportunities.opportunity_update(
            by=admin, opportunity=deal, fields={"source": operation[2]}
        )
    elif kind == "elsewhere" and deal.pipeline_id == world["pipeline"].pk:
        stage = Stage.objects.for_tenant(admin.tenant).get(
            pipeline=world["other"], name="Elsewhere"
        )
        fields = {"pipeline_id": world["other"].pk, "stage_id": stage.pk}
        opportunities.opportunity_update(by=admin, opportunity=deal, fields=fields)


def reference_world(world) -> tuple[list, reference.Stages]:
    """The deals of the funnel's pipeline and its stages, as the reference reads them: from
    the recorded stage history."""
    tenant = world["admin"].tenant
    stages = sorted(
        Stage.objects.for_tenant(tenant).filter(pipeline=world["pipeline"]),
        key=lambda s: (s.position, s.pk),
    )
    names = {s.pk: s.name for s in Stage.objects.for_tenant(tenant)}
    ref_stages = reference.Stages(
        open=[s.name for s in stages if s.kind == "open"],
        won=[s.name for s in stages if s.kind == "won"],
        lost=[s.name for s in stages if s.kind == "lost"],
    )
    histories: dict = {}
    for change in StageChange.objects.for_tenant(tenant).order_by("at", "id"):
        histories.setdefault(change.opportunity_id, []).append(
            (names[change.to_stage_id], change.at)
        )
    deals = [
        reference.Deal(
            key=d.pk,
            owner=d.owner_id,
            source=d.source,
            history=histories[d.pk],
            deleted=d.is_deleted,
            pk=d.pk,
            teams=world["teams"].get(d.owner_id, []),
        )
        for d in Opportunity.objects.for_tenant(tenant, with_deleted=True).filter(
            pipeline=world["pipeline"]
        )
    ]
    return deals, ref_stages


def same_report(a: dict, b: dict) -> None:
    def rows(report):
        return [report["stages"]] + [g["stages"] for g in report.get("groups", [])]

    assert [g["key"] for g in a.get("groups", [])] == [g["key"] for g in b.get("groups", [])]
    for left, right in zip(rows(a), rows(b), strict=True):
        for x, y in zip(left, right, strict=True):
            median_x, median_y = x.pop("median_days_in_stage"), y.pop("median_days_in_stage")
            assert x == y
            assert (median_x is None) == (median_y is None)
            if median_x is not None:
                assert abs(median_x - median_y) < 1e-6


def fact_rows(tenant) -> list:
    rows = FunnelFact.objects.for_tenant(tenant).values_list(*FACT_FIELDS, "stay_days")
    return sorted((*row[:-1], None if row[-1] is None else round(row[-1], 6)) for row in rows)


def check(world) -> None:
    admin = world["admin"]
    tenant = admin.tenant
    deals, ref_stages = reference_world(world)
    base = {"pipeline": world["pipeline"].pk, "from": world["start_day"], "to": world["end_day"]}
    for mode in ("any", "strict"):
        for group_by in (None, "owner", "team"):
            params = HistoryParams(**base, mode=mode, group_by=group_by)
            assert prepare(admin, params).use_facts
            from_facts = historical_funnel(actor=admin, params=params)
            from_history = historical_funnel(actor=admin, params=params, raw=True)
            same_report(from_facts, from_history)
            expected = reference.history(
                deals,
                ref_stages,
                start=world["start"],
                end=world["end"],
                mode=mode,
                group_by=group_by,
                zone=world["zone"],
            )
            overall = reference.history(
                deals, ref_stages, start=world["start"], end=world["end"], mode=mode
            ).get(None, {})
            for row in from_facts["stages"]:
                want = overall.get(row["name"])
                if want is None:
                    assert row["entered"] == 0, row
                    continue
                for metric in ("entered", "advanced", "lost", "open"):
                    assert row[metric] == want[metric], (mode, row, want)
            if group_by is not None:
                assert {g["key"] for g in from_facts["groups"]} == set(expected)
        stage_ids = {
            s.name: s.pk
            for s in Stage.objects.for_tenant(tenant).filter(pipeline=world["pipeline"])
        }
        params = HistoryParams(**base, mode=mode)
        for name, metric in (
            ("Proposal", "lost"),
            ("Qualification", "advanced"),
            ("Won", "entered"),
        ):
            lists = [
                drilldown.history_drilldown(
                    actor=admin, params=params, stage_id=stage_ids[name], metric=metric, raw=raw
                )
                for raw in (False, True)
            ]
            listed = [set(deals_list.values_list("pk", flat=True)) for deals_list in lists]
            want = overall_deals(deals, ref_stages, world, mode, name, metric)
            assert listed[0] == listed[1] == want, (mode, name, metric)
            # The facts' list counts from the facts: the same number.
            assert [deals_list.count() for deals_list in lists] == [len(want)] * 2
    # The facts kept by the writes are those a rebuild computes.
    kept = fact_rows(tenant)
    savepoint = transaction.savepoint()
    facts.rebuild_pipelines(tenant=tenant)
    assert fact_rows(tenant) == kept
    transaction.savepoint_rollback(savepoint)


def overall_deals(deals, ref_stages, world, mode, name, metric) -> set:
    found = reference.history(deals, ref_stages, start=world["start"], end=world["end"], mode=mode)
    return found.get(None, {}).get(name, {}).get("deals", {}).get(metric, set())


@given(operations=st.lists(OPERATIONS, min_size=1, max_size=12))
@FACTS_PROFILE
def test_the_facts_stay_exact_through_any_sequence_of_writes(world, operations):
    with transaction.atomic():
        deal_ids: list[int] = []
        for operation in [("create", [("Qualification", -50 * DAY)], 0, "Web"), *operations]:
            apply(world, deal_ids, operation)
            check(world)
        transaction.set_rollback(True)


def _reorder(admin, pipeline, names):
    by_name = {s.name: s for s in Stage.objects.for_tenant(admin.tenant).filter(pipeline=pipeline)}
    pipelines.pipeline_update(
        by=admin,
        pipeline=pipeline,
        fields={
            "stages": [
                {
                    "id": by_name[n].pk,
                    "name": n,
                    "kind": by_name[n].kind,
                    "probability": by_name[n].probability,
                    "required_fields": by_name[n].required_fields,
                }
                for n in names
            ]
        },
    )


def test_a_large_pipeline_is_rebuilt_by_a_job_and_the_raw_history_answers_meanwhile(
    world, monkeypatch
):
    admin, pipeline = world["admin"], world["pipeline"]
    now = timezone.now()
    for offset, names in ((-5, ["Qualification", "Proposal"]), (-3, ["Needs analysis", "Lost"])):
        opportunities.opportunity_create(
            by=admin,
            name="Deal",
            pipeline_id=pipeline.pk,
            amount=Decimal(1),
            lost_reason="Price",
            stage_history=[
                {"stage": n, "at": now + datetime.timedelta(days=offset, hours=i)}
                for i, n in enumerate(names)
            ],
        )
    params = HistoryParams(
        pipeline=pipeline.pk, **{"from": world["start_day"]}, to=world["end_day"]
    )
    before = historical_funnel(actor=admin, params=params)["stages"][2]
    assert (before["name"], before["entered"], before["advanced"]) == ("Proposal", 1, 0)
    monkeypatch.setattr(facts, "SYNC_LIMIT", 1)
    enqueued = []
    monkeypatch.setattr(
        "funia.core.jobs.enqueue_on_commit", lambda task, *args: enqueued.append((task, args))
    )
    _reorder(
        admin,
        pipeline,
        ["Proposal", "Qualification", "Needs analysis", "Negotiation", "Won", "Lost"],
    )

    assert enqueued == [(rebuild_funnel_facts, (admin.tenant.pk, [pipeline.pk]))]
    assert not prepare(admin, params).use_facts
    pending = historical_funnel(actor=admin, params=params)
    proposal = next(r for r in pending["stages"] if r["name"] == "Proposal")
    # Proposal comes first now: both deals entered it (any) and went on (before: 1, 0, 0).
    assert (proposal["entered"], proposal["advanced"], proposal["lost"]) == (2, 2, 0)

    rebuild_funnel_facts.func(admin.tenant.pk, [pipeline.pk])
    assert prepare(admin, params).use_facts
    same_report(historical_funnel(actor=admin, params=params), pending)


def test_a_small_pipeline_is_rebuilt_at_once_and_a_new_one_starts_current(world):
    admin, pipeline = world["admin"], world["pipeline"]
    factories.opportunity(admin, pipeline_id=pipeline.pk, amount=Decimal(5))
    state = FunnelFactState.objects.for_tenant(admin.tenant).get(pipeline=pipeline)
    _reorder(
        admin,
        pipeline,
        ["Needs analysis", "Qualification", "Proposal", "Negotiation", "Won", "Lost"],
    )
    state_after = FunnelFactState.objects.for_tenant(admin.tenant).get(pipeline=pipeline)
    assert state_after.signature != state.signature
    params = HistoryParams(pipeline=pipeline.pk)
    assert prepare(admin, params).use_facts
    # Renaming a stage changes no rank: nothing is rebuilt.
    stages = list(Stage.objects.for_tenant(admin.tenant).filter(pipeline=pipeline))
    assert facts.is_current(admin.tenant, pipeline, stages)


def test_a_pipeline_never_built_reads_the_raw_history(world):
    admin, pipeline = world["admin"], world["pipeline"]
    factories.opportunity(admin, pipeline_id=pipeline.pk, amount=Decimal(5))
    FunnelFactState.objects.for_tenant(admin.tenant).filter(pipeline=pipeline).delete()
    FunnelFact.objects.for_tenant(admin.tenant).delete()
    params = HistoryParams(pipeline=pipeline.pk)
    assert not prepare(admin, params).use_facts
    report = historical_funnel(actor=admin, params=params)
    assert report["stages"][0]["entered"] == 1
    lines = []
    facts.rebuild_all(tenant=admin.tenant, out=lines.append)
    assert lines[0].startswith("acme: 1 funnel fact rows in ")
    assert prepare(admin, params).use_facts
    same_report(historical_funnel(actor=admin, params=params), report)


def test_a_filter_the_facts_do_not_hold_reads_the_raw_history(world):
    admin = world["admin"]
    params = HistoryParams(pipeline=world["pipeline"].pk, territory=1)
    assert not prepare(admin, params).use_facts


def test_the_facts_follow_the_owner_a_deleted_user_leaves(world):
    """A user deleted for good: their deals lose their owner, and so do the facts."""
    admin, pipeline = world["admin"], world["pipeline"]
    leaver = factories.member(admin.tenant, "sales_rep")
    factories.opportunity(admin, pipeline_id=pipeline.pk, owner_id=leaver.user.pk)
    leaver.user.delete()
    assert set(FunnelFact.objects.for_tenant(admin.tenant).values_list("owner_id", flat=True)) == {
        None
    }


def test_the_command_rebuilds_the_facts(tmp_path):
    """`funia rebuild-funnel-facts` on a real (throwaway) database: rows and timing."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("FUNIA_", "DJANGO_"))}
    env.update(
        FUNIA_VAR_DIR=str(tmp_path),
        FUNIA_DATABASE_URL=f"sqlite:///{tmp_path / 'cli.sqlite3'}",
        DJANGO_SETTINGS_MODULE="funia.settings",
    )

    def run(*args):
        return subprocess.run(  # noqa: S603  (our own interpreter and arguments)
            [sys.executable, "-m", "funia.cli", *args],
            env=env,
            capture_output=True,
            text=True,
            timeout=300,
        )

    assert run("migrate", "--noinput", "--verbosity", "0").returncode == 0
    created = run("tenant", "create", "acme", "--name", "Acme", "--admin", "boss@acme.example")
    assert created.returncode == 0, created.stderr
    result = run("rebuild-funnel-facts", "--tenant", "acme")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("acme: 0 funnel fact rows in ")
    unknown = run("rebuild-funnel-facts", "--tenant", "nobody")
    assert unknown.returncode == 2
    assert "No organisation with the slug 'nobody'" in unknown.stderr
