"""Every number of both funnel reports and of their drill-downs, checked on random stage
histories (skips, backward moves, reopenings, won and lost deals, deleted deals, several
reps, teams and sources, times on and around the period's bounds) against the simple
reference implementation in `reference.py`."""

import datetime
import os
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from funia.analytics import drilldown
from funia.analytics.filters import HistoryParams, SnapshotParams, tenant_zone
from funia.analytics.funnel_history import NO_GROUP, historical_funnel
from funia.analytics.funnel_snapshot import snapshot_funnel
from funia.sales import opportunities
from tests import factories
from tests.analytics import reference

settings.register_profile(
    "funnel",
    max_examples=int(os.environ.get("FUNNEL_EXAMPLES", "30")),
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
FUNNEL = settings.get_profile("funnel")

STAGES = reference.Stages(
    open=["Qualification", "Needs analysis", "Proposal", "Negotiation"], won=["Won"], lost=["Lost"]
)
NAMES = [*STAGES.open, *STAGES.won, *STAGES.lost]
PROBABILITIES = {"Qualification": 10, "Needs analysis": 25, "Proposal": 50, "Negotiation": 75}
SOURCES = ["Web", "Partner", ""]
METRICS = ("entered", "advanced", "lost", "open")
HOUR = 3600


@pytest.fixture
def world(org):
    """Acme's admin, a manager, three reps (one in two teams, one in none)."""
    admin = factories.member(org, "admin")
    manager = factories.member(org, "sales_manager")
    reps = [factories.member(org, "sales_rep") for _ in range(3)]
    north = factories.team(admin, "North", manager=manager, members=[reps[0], reps[1]])
    south = factories.team(admin, "South", members=[reps[1]])
    teams = {reps[0].user.pk: [north.pk], reps[1].user.pk: [north.pk, south.pk]}
    zone = tenant_zone(org)
    today = timezone.now().astimezone(zone).date()
    # A period of about two months, starting mid-month, well in the past.
    start_day = today.replace(day=1) - datetime.timedelta(days=200)
    start_day = start_day.replace(day=11)
    start = datetime.datetime.combine(start_day, datetime.time(), tzinfo=zone)
    end_day = start_day + datetime.timedelta(days=58)
    end = datetime.datetime.combine(end_day, datetime.time(), tzinfo=zone)
    return {
        "admin": admin,
        "manager": manager,
        "reps": reps,
        "teams": teams,
        "zone": zone,
        "start": start,
        "end": end,
        "start_day": start_day,
        "end_day": end_day,
    }


# Time offsets in seconds from the period's start: on and around both bounds, and inside.
SPAN = 58 * 86400
OFFSETS = st.one_of(
    st.sampled_from([-1, 0, 1, SPAN - 1, SPAN, SPAN + 1, -40 * 86400, SPAN + 30 * 86400]),
    st.integers(min_value=-30 * 86400, max_value=SPAN + 20 * 86400),
    st.integers(min_value=-48, max_value=48).map(lambda h: h * HOUR),
)


@st.composite
def deal_specs(draw):
    length = draw(st.integers(min_value=1, max_value=7))
    names = draw(st.lists(st.sampled_from(NAMES), min_size=length, max_size=length))
    offsets = sorted(draw(st.lists(OFFSETS, min_size=length, max_size=length)))
    amount = draw(
        st.one_of(
            st.none(), st.integers(min_value=0, max_value=10**7).map(lambda c: Decimal(c) / 100)
        )
    )
    return {
        "names": names,
        "offsets": offsets,
        "owner": draw(st.integers(min_value=0, max_value=3)),  # 3: the manager
        "source": draw(st.sampled_from(SOURCES)),
        "amount": amount,
        "deleted": draw(st.integers(min_value=0, max_value=5)) == 0,
    }


def load(world, specs):
    """Create the deals through the service, with their migrated histories."""
    admin = world["admin"]
    pipeline = factories.pipeline(admin, name="Funnel")
    owners = [*(r.user.pk for r in world["reps"]), world["manager"].user.pk]
    deals = []
    for n, spec in enumerate(specs):
        history = [
            # In UTC: Python subtracts two times of one zone naively, across DST changes.
            (name, (world["start"] + datetime.timedelta(seconds=offset)).astimezone(datetime.UTC))
            for name, offset in zip(spec["names"], spec["offsets"], strict=True)
        ]
        owner = owners[spec["owner"]]
        created = opportunities.opportunity_create(
            by=admin,
            name=f"Deal {n}",
            pipeline_id=pipeline.pk,
            owner_id=owner,
            source=spec["source"],
            amount=spec["amount"],
            lost_reason="Price",
            stage_history=[{"stage": name, "at": at} for name, at in history],
        )
        if spec["deleted"]:
            opportunities.opportunity_delete(by=admin, opportunity=created)
        deals.append(
            reference.Deal(
                key=created.pk,
                owner=owner,
                source=spec["source"],
                history=history,
                amount=spec["amount"],
                deleted=spec["deleted"],
                pk=created.pk,
                teams=world["teams"].get(owner, []),
            )
        )
    return pipeline, deals


def close(a, b, tolerance=1e-3) -> bool:
    if a is None or b is None:
        return a is None and b is None
    return abs(float(a) - float(b)) <= tolerance


def check_history(actor, world, pipeline, deals, mode, group_by):
    params = HistoryParams(
        pipeline=pipeline.pk,
        **{"from": world["start_day"]},
        to=world["end_day"],
        mode=mode,
        group_by=group_by,
    )
    report = historical_funnel(actor=actor, params=params)
    expected = reference.history(
        deals,
        STAGES,
        start=world["start"],
        end=world["end"],
        mode=mode,
        group_by=group_by,
        zone=world["zone"],
    )
    overall = reference.history(
        deals, STAGES, start=world["start"], end=world["end"], mode=mode, zone=world["zone"]
    ).get(None, {})
    stage_ids = {s.name: s.pk for s in pipeline.stages.all()}

    def compare(rows, wanted, where):
        assert [r["name"] for r in rows] == NAMES
        for row in rows:
            want = wanted.get(row["name"])
            if want is None:
                assert row["entered"] == 0, (where, row)
                continue
            for metric in ("entered", "advanced", "lost", "open", "conversion"):
                assert row[metric] == want[metric], (where, mode, row["name"], metric, row, want)
            assert close(row["median_days_in_stage"], want["median"]), (where, row, want)

    compare(report["stages"], overall, "overall")
    if group_by is None:
        assert "groups" not in report
        return report, expected, stage_ids
    got_keys = {g["key"] for g in report["groups"]}
    assert got_keys == set(expected), (got_keys, set(expected))
    for group in report["groups"]:
        compare(group["stages"], expected[group["key"]], f"group {group['key']}")
    return report, expected, stage_ids


def drill(actor, params, stage_id, metric, group=None) -> set:
    deals = drilldown.history_drilldown(
        actor=actor, params=params, stage_id=stage_id, metric=metric, group=group
    )
    return set(deals.values_list("pk", flat=True))


@given(
    specs=st.lists(deal_specs(), min_size=1, max_size=9), mode=st.sampled_from(["any", "strict"])
)
@FUNNEL
def test_the_historical_funnel_matches_the_reference(world, specs, mode):
    with transaction.atomic():
        pipeline, deals = load(world, specs)
        admin = world["admin"]
        for group_by in (None, "owner", "team", "source", "month"):
            check_history(admin, world, pipeline, deals, mode, group_by)
        # Drill-downs: each lists exactly the deals behind its number.
        expected = reference.history(
            deals, STAGES, start=world["start"], end=world["end"], mode=mode, zone=world["zone"]
        ).get(None, {})
        params = HistoryParams(
            pipeline=pipeline.pk, **{"from": world["start_day"]}, to=world["end_day"], mode=mode
        )
        stage_ids = {s.name: s.pk for s in pipeline.stages.all()}
        for name in NAMES:
            metrics = METRICS if name in STAGES.open else ("entered",)
            for metric in metrics:
                want = expected.get(name, {}).get("deals", {}).get(metric, set())
                assert drill(admin, params, stage_ids[name], metric) == want, (name, metric)
        # ... and inside one group of each grouping.
        for group_by in ("owner", "team", "source", "month"):
            grouped = reference.history(
                deals,
                STAGES,
                start=world["start"],
                end=world["end"],
                mode=mode,
                group_by=group_by,
                zone=world["zone"],
            )
            params_g = params.model_copy(update={"group_by": group_by})
            for key, rows in grouped.items():
                for name in ("Proposal", "Won"):
                    metrics = ("lost", "advanced") if name == "Proposal" else ("entered",)
                    for metric in metrics:
                        want = rows.get(name, {}).get("deals", {}).get(metric, set())
                        group = NO_GROUP if key is None else str(key)
                        got = drill(admin, params_g, stage_ids[name], metric, group)
                        assert got == want, (group_by, key, name, metric)
        transaction.set_rollback(True)


@given(specs=st.lists(deal_specs(), min_size=1, max_size=9))
@FUNNEL
def test_a_rep_and_a_manager_count_only_the_deals_they_may_see(world, specs):
    with transaction.atomic():
        pipeline, deals = load(world, specs)
        rep = world["reps"][0]
        mine = [d for d in deals if d.owner == rep.user.pk]
        check_history(rep, world, pipeline, mine, "any", None)
        # The manager sees their own deals and those of North's members (reps 0 and 1).
        manager = world["manager"]
        seen = {manager.user.pk, world["reps"][0].user.pk, world["reps"][1].user.pk}
        check_history(
            manager, world, pipeline, [d for d in deals if d.owner in seen], "strict", "owner"
        )
        transaction.set_rollback(True)


@given(
    specs=st.lists(deal_specs(), min_size=1, max_size=9),
    cycle_days=st.sampled_from([30, 150, 200, 365]),
    source=st.sampled_from([None, "web", "Partner"]),
)
@FUNNEL
def test_the_snapshot_funnel_matches_the_reference(world, specs, cycle_days, source):
    with transaction.atomic():
        pipeline, deals = load(world, specs)
        now = timezone.now()
        params = SnapshotParams(pipeline=pipeline.pk, cycle_days=cycle_days, source=source)
        report = snapshot_funnel(actor=world["admin"], params=params, now=now)
        if source:
            deals = [d for d in deals if d.source.lower() == source.lower()]
        expected = reference.snapshot(deals, STAGES, PROBABILITIES, now=now, cycle_days=cycle_days)
        assert [r["name"] for r in report["stages"]] == STAGES.open
        stage_ids = {s.name: s.pk for s in pipeline.stages.all()}
        for row in report["stages"]:
            want = expected["stages"][row["name"]]
            assert row["count"] == want["count"]
            assert row["amount"] == want["amount"]
            assert row["weighted_amount"] == want["weighted"]
            assert close(row["avg_age_days"], want["age"]), (row, want)
            listed = drilldown.snapshot_drilldown(
                actor=world["admin"], params=params, stage_id=stage_ids[row["name"]]
            )
            assert set(listed.values_list("pk", flat=True)) == want["deals"]
        assert close(report["avg_sales_cycle_days"], expected["mean"])
        assert close(report["median_sales_cycle_days"], expected["median"])
        assert report["won_in_window"] == len(expected["won"])
        won = drilldown.snapshot_drilldown(
            actor=world["admin"], params=params, stage_id=None, metric="won", now=now
        )
        assert set(won.values_list("pk", flat=True)) == expected["won"]
        transaction.set_rollback(True)
