"""/api/v1/opportunities: CRUD, visibility, the stage gate, moves, history and bulk actions."""

import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from funia.sales import pipelines
from funia.sales.models import Opportunity, StageChange
from tests import factories
from tests.conftest import tenant_snapshot


@pytest.fixture
def b2b(admin):
    return factories.pipeline(admin)


def stage_id(pipeline, name: str) -> int:
    return factories.stage(pipeline, name).pk


def etag(response) -> str:
    return response["ETag"]


def stable(client):
    """Touch the token once so that its `last_used_at` does not change within the test."""
    client.call("get", "/me")
    return client


# -- create, read, update ----------------------------------------------------------------------


def test_a_rep_creates_a_deal_in_the_default_pipeline(rep, b2b, api_as):
    account = factories.account(rep, name="Balkan Foods")
    response = api_as(rep).call(
        "post",
        "/opportunities",
        {
            "name": "Fleet renewal",
            "account": account.pk,
            "amount": 1200.5,
            "expected_close_date": "2027-03-31",
            "source": "Referral",
            "next_step": "Call the CFO",
        },
    )

    assert response.status_code == 201, response.content
    body = response.json()
    assert etag(response) == f'"{body["id"]}-1"'
    assert body["pipeline"] == b2b.pk
    assert (body["stage"], body["stage_name"], body["stage_kind"], body["probability"]) == (
        stage_id(b2b, "Qualification"),
        "Qualification",
        "open",
        10,
    )
    assert body["owner"] == rep.user.pk
    assert body["account"] == account.pk
    assert (body["amount"], body["currency"]) == ("1200.50", "EUR")
    assert (body["amount_base"], body["base_currency"], body["weighted_amount"]) == (
        "1200.50",
        "EUR",
        "120.05",
    )
    assert body["forecast_category"] == "pipeline"
    assert body["closed_at"] is None and body["deleted_at"] is None
    assert body["expected_close_date"] == "2027-03-31"


@pytest.mark.parametrize("amount", ["1999.99", 1999.99, "1999.990"])
def test_amounts_are_accepted_as_numbers_or_strings_and_answered_as_strings(
    rep, b2b, api_as, amount
):
    response = api_as(rep).call("post", "/opportunities", {"name": "X", "amount": amount})
    assert response.status_code == 201, response.content
    assert response.json()["amount"] == "1999.99"


@pytest.mark.parametrize("amount", ["12.345", "-5", "ten", 10**17, 4.69e307, "1e400"])
def test_bad_amounts_are_refused(rep, b2b, api_as, amount):
    response = api_as(rep).call("post", "/opportunities", {"name": "X", "amount": amount})
    assert response.status_code == 422
    assert {e["field"] for e in response.json()["errors"]} == {"amount"}


def test_a_foreign_currency_needs_a_rate_and_is_reported_in_the_organisation_currency(
    admin, rep, b2b, api_as
):
    client = api_as(rep)
    refused = client.call(
        "post", "/opportunities", {"name": "US deal", "amount": "1000", "currency": "usd"}
    )
    assert refused.status_code == 422
    assert "USD" in refused.json()["errors"][0]["message"]

    api_as(admin).call("post", "/exchange-rates", {"currency": "USD", "rate": "0.92"})
    body = client.call(
        "post", "/opportunities", {"name": "US deal", "amount": "1000", "currency": "usd"}
    ).json()

    assert (body["amount"], body["currency"]) == ("1000.00", "USD")
    assert (body["amount_base"], body["base_currency"]) == ("920.00", "EUR")
    assert body["weighted_amount"] == "92.00"
    listed = client.call("get", "/opportunities", {"sort": "-amount_base"}).json()["items"]
    assert [item["amount_base"] for item in listed] == ["920.00"]


def test_unknown_fields_and_read_only_fields_are_refused(rep, b2b, api_as):
    client = api_as(rep)
    for extra in ({"amount_base": "1"}, {"closed_at": "2026-01-01T00:00:00Z"}, {"stagee": 1}):
        response = client.call("post", "/opportunities", {"name": "X", **extra})
        assert response.status_code == 422, extra


def test_patch_changes_fields_and_honours_if_match(rep, b2b, api_as):
    client = api_as(rep)
    created = client.call("post", "/opportunities", {"name": "Deal", "amount": 10})
    deal = created.json()

    patched = client.call(
        "patch",
        f"/opportunities/{deal['id']}",
        {"amount": "250", "next_step": "Demo", "forecast_category": "best_case", "source": None},
        headers={"If-Match": etag(created)},
    )
    assert patched.status_code == 200, patched.content
    assert (patched.json()["amount"], patched.json()["next_step"]) == ("250.00", "Demo")
    assert patched.json()["forecast_category"] == "best_case"
    assert etag(patched) == f'"{deal["id"]}-2"'

    stale = client.call(
        "patch", f"/opportunities/{deal['id']}", {"amount": 1}, headers={"If-Match": etag(created)}
    )
    assert stale.status_code == 412
    assert etag(stale) == etag(patched)
    assert client.call("get", f"/opportunities/{deal['id']}").json()["amount"] == "250.00"


def test_a_patch_of_stage_is_a_move_through_the_gate(rep, b2b, api_as):
    client = api_as(rep)
    deal = client.call("post", "/opportunities", {"name": "Deal"}).json()
    url = f"/opportunities/{deal['id']}"

    refused = client.call("patch", url, {"stage": stage_id(b2b, "Proposal")})
    assert refused.status_code == 422
    assert refused.json()["errors"][0]["field"] == "amount"

    moved = client.call("patch", url, {"stage": stage_id(b2b, "Proposal"), "amount": 900})
    assert moved.status_code == 200
    assert (moved.json()["stage_name"], moved.json()["probability"]) == ("Proposal", 50)
    history = client.call("get", f"{url}/stage-history").json()
    assert [(h["from_stage_name"], h["stage_name"]) for h in history] == [
        (None, "Qualification"),
        ("Qualification", "Proposal"),
    ]


def test_a_patch_of_pipeline_and_stage_moves_to_another_pipeline(admin, rep, b2b, api_as):
    renewals = factories.pipeline(admin, name="Renewals")
    client = api_as(rep)
    deal = client.call("post", "/opportunities", {"name": "Deal"}).json()
    url = f"/opportunities/{deal['id']}"

    alone = client.call("patch", url, {"pipeline": renewals.pk})
    assert alone.status_code == 422
    assert alone.json()["errors"][0]["field"] == "stage"
    wrong = client.call("patch", url, {"pipeline": renewals.pk, "stage": stage_id(b2b, "Won")})
    assert wrong.status_code == 422

    moved = client.call(
        "patch", url, {"pipeline": renewals.pk, "stage": stage_id(renewals, "Negotiation")}
    )
    assert moved.status_code == 200, moved.content
    assert (moved.json()["pipeline"], moved.json()["stage_name"]) == (renewals.pk, "Negotiation")


def test_delete_and_restore(rep, b2b, api_as):
    client = api_as(rep)
    deal = client.call("post", "/opportunities", {"name": "Deal"}).json()
    url = f"/opportunities/{deal['id']}"

    assert client.call("delete", url).status_code == 204
    assert client.call("get", "/opportunities").json()["items"] == []
    trashed = client.call("get", "/opportunities", {"deleted": "true"}).json()["items"]
    assert [(d["id"], d["deleted"]) for d in trashed] == [(deal["id"], True)]
    assert client.call("get", url).json()["deleted_at"] is not None
    assert client.call("post", f"{url}/move", {"stage": stage_id(b2b, "Won")}).status_code == 404
    restored = client.call("post", f"{url}/restore")
    assert (restored.status_code, restored.json()["deleted"]) == (200, False)


def test_list_filters(admin, rep, b2b, api_as):
    other = factories.pipeline(admin, name="Renewals")
    factories.opportunity(rep, name="Open one", source="Web")
    factories.opportunity(rep, name="In renewals", pipeline_id=other.pk)
    won = factories.opportunity(rep, name="Won one")
    from funia.sales import opportunities

    opportunities.opportunity_move(by=rep, opportunity=won, stage_id=stage_id(b2b, "Won"))
    client = api_as(rep)

    def names(**query):
        response = client.call("get", "/opportunities", {**query, "sort": "name"})
        assert response.status_code == 200, response.content
        return [d["name"] for d in response.json()["items"]]

    assert names(pipeline=b2b.pk) == ["Open one", "Won one"]
    assert names(pipeline=other.pk) == ["In renewals"]
    assert names(status="won") == ["Won one"]
    assert names(status="open", pipeline=b2b.pk) == ["Open one"]
    assert names(source="web") == ["Open one"]
    assert names(stage=stage_id(b2b, "Won")) == ["Won one"]
    assert names(q="renew") == ["In renewals"]
    assert client.call("get", "/opportunities", {"sort": "owner"}).status_code == 422


# -- visibility and roles ----------------------------------------------------------------------


def test_a_rep_sees_only_own_deals_and_gets_404_for_a_colleagues(org, rep, b2b, api_as):
    colleague = factories.member(org, "sales_rep")
    mine = factories.opportunity(rep, name="Mine")
    theirs = factories.opportunity(colleague, name="Theirs")
    client = stable(api_as(rep))
    before = tenant_snapshot(org)

    listed = client.call("get", "/opportunities").json()
    assert [d["name"] for d in listed["items"]] == ["Mine"]
    url = f"/opportunities/{theirs.pk}"
    won = stage_id(b2b, "Won")
    assert client.call("get", url).status_code == 404
    assert client.call("get", f"{url}/stage-history").status_code == 404
    assert client.call("patch", url, {"name": "Stolen"}).status_code == 404
    assert client.call("post", f"{url}/move", {"stage": won}).status_code == 404
    assert client.call("delete", url).status_code == 404
    assert tenant_snapshot(org) == before
    assert client.call("get", f"/opportunities/{mine.pk}").status_code == 200


def test_a_manager_sees_the_team_deals(org, admin, manager, rep, b2b, api_as):
    factories.team(admin, "Sofia", manager=manager, members=[rep])
    outside = factories.member(org, "sales_rep")
    factories.opportunity(rep, name="Team deal")
    factories.opportunity(outside, name="Other deal")

    names = [d["name"] for d in api_as(manager).call("get", "/opportunities").json()["items"]]

    assert names == ["Team deal"]


def test_an_analyst_reads_everything_but_writes_nothing(org, rep, analyst, b2b, api_as):
    deal = factories.opportunity(rep, name="Deal")
    client = stable(api_as(analyst))
    before = tenant_snapshot(org)
    url = f"/opportunities/{deal.pk}"

    assert [d["name"] for d in client.call("get", "/opportunities").json()["items"]] == ["Deal"]
    assert client.call("get", f"{url}/stage-history").status_code == 200
    for method, path, body in [
        ("post", "/opportunities", {"name": "New"}),
        ("patch", url, {"name": "Renamed"}),
        ("post", f"{url}/move", {"stage": stage_id(b2b, "Negotiation")}),
        ("delete", url, None),
        ("post", "/opportunities/bulk-reassign", {"ids": [deal.pk], "owner": analyst.user.pk}),
        ("post", "/opportunities/bulk-move", {"ids": [deal.pk], "stage": stage_id(b2b, "Won")}),
    ]:
        response = client.call(method, path, body)
        assert response.status_code == 403, (method, path, response.content)
    assert tenant_snapshot(org) == before


# -- moves -------------------------------------------------------------------------------------


def test_move_answers_the_deal_and_records_the_change(rep, b2b, api_as):
    client = api_as(rep)
    created = client.call("post", "/opportunities", {"name": "Deal", "amount": "5000"})
    url = f"/opportunities/{created.json()['id']}"

    moved = client.call(
        "post",
        f"{url}/move",
        {"stage": stage_id(b2b, "Negotiation"), "next_step": "Send the contract"},
        headers={"If-Match": etag(created)},
    )

    assert moved.status_code == 200, moved.content
    body = moved.json()
    assert (body["stage_name"], body["probability"], body["weighted_amount"]) == (
        "Negotiation",
        75,
        "3750.00",
    )
    assert body["next_step"] == "Send the contract"
    assert etag(moved) == f'"{body["id"]}-2"'
    last = client.call("get", f"{url}/stage-history").json()[-1]
    assert (last["stage_name"], last["from_stage_name"], last["by"]) == (
        "Negotiation",
        "Qualification",
        rep.user.pk,
    )
    assert (last["amount"], last["probability"], last["imported"]) == ("5000.00", 75, False)


def test_a_stale_move_is_412_and_changes_nothing(rep, b2b, api_as):
    client = api_as(rep)
    created = client.call("post", "/opportunities", {"name": "Deal"})
    url = f"/opportunities/{created.json()['id']}"
    client.call("patch", url, {"name": "Renamed"})

    response = client.call(
        "post",
        f"{url}/move",
        {"stage": stage_id(b2b, "Negotiation")},
        headers={"If-Match": etag(created)},
    )

    assert response.status_code == 412
    assert etag(response) == f'"{created.json()["id"]}-2"'
    assert client.call("get", url).json()["stage_name"] == "Qualification"
    assert StageChange.objects.for_tenant(rep.tenant).count() == 1


def test_the_gate_refuses_a_move_naming_the_stage_and_what_it_requires(org, rep, b2b, api_as):
    client = stable(api_as(rep))
    deal = client.call("post", "/opportunities", {"name": "Deal"}).json()
    url = f"/opportunities/{deal['id']}/move"
    before = tenant_snapshot(org)

    refused = client.call("post", url, {"stage": stage_id(b2b, "Proposal")})

    assert refused.status_code == 422
    problem = refused.json()
    assert "Proposal" in problem["detail"]
    assert problem["errors"] == [
        {"field": "amount", "message": "“Proposal” requires amount."},
    ]
    assert tenant_snapshot(org) == before

    lost = client.call("post", url, {"stage": stage_id(b2b, "Lost")})
    assert lost.status_code == 422
    assert lost.json()["errors"][0]["field"] == "lost_reason"
    assert "Lost" in lost.json()["detail"]

    passed = client.call("post", url, {"stage": stage_id(b2b, "Proposal"), "amount": "1500"})
    assert passed.status_code == 200
    assert (passed.json()["stage_name"], passed.json()["amount"]) == ("Proposal", "1500.00")


def test_losing_and_winning_close_the_deal_and_reopening_opens_it(rep, b2b, api_as):
    client = api_as(rep)
    deal = client.call("post", "/opportunities", {"name": "Deal", "amount": 10}).json()
    url = f"/opportunities/{deal['id']}/move"

    lost = client.call("post", url, {"stage": stage_id(b2b, "Lost"), "lost_reason": "Price"})
    assert lost.json()["closed_at"] is not None
    assert (lost.json()["forecast_category"], lost.json()["lost_reason"]) == ("omitted", "Price")
    reopened = client.call("post", url, {"stage": stage_id(b2b, "Negotiation")}).json()
    assert (reopened["closed_at"], reopened["forecast_category"]) == (None, "pipeline")
    won = client.call("post", url, {"stage": stage_id(b2b, "Won")}).json()
    assert (won["stage_kind"], won["forecast_category"]) == ("won", "closed")

    history = client.call("get", f"/opportunities/{deal['id']}/stage-history").json()
    assert [h["stage_name"] for h in history] == ["Qualification", "Lost", "Negotiation", "Won"]
    assert history[-1]["days_in_stage"] is None  # closed: no time runs
    assert all(h["days_in_stage"] is not None for h in history[:-1])


def test_a_stage_of_another_pipeline_is_refused(admin, rep, b2b, api_as):
    renewals = factories.pipeline(admin, name="Renewals")
    client = api_as(rep)
    deal = client.call("post", "/opportunities", {"name": "Deal"}).json()

    response = client.call(
        "post", f"/opportunities/{deal['id']}/move", {"stage": stage_id(renewals, "Won")}
    )

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "stage"


# -- the stage history -------------------------------------------------------------------------


def iso(moment: datetime.datetime) -> str:
    return moment.isoformat()


def parse(text: str) -> datetime.datetime:
    return datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_a_migrated_history_reads_back_exactly(admin, b2b, api_as):
    sofia = datetime.timezone(datetime.timedelta(hours=2))
    tokyo = datetime.timezone(datetime.timedelta(hours=9))
    given = [
        ("Qualification", datetime.datetime(2025, 1, 10, 9, 0, 0, tzinfo=sofia)),
        (stage_id(b2b, "Needs analysis"), datetime.datetime(2025, 2, 3, 16, 45, 30, tzinfo=tokyo)),
        ("proposal", datetime.datetime(2025, 3, 1, 0, 0, 0, 123456, tzinfo=datetime.UTC)),
        (str(stage_id(b2b, "Needs analysis")), datetime.datetime(2025, 3, 2, 8, 0, tzinfo=sofia)),
        ("Won", datetime.datetime(2025, 4, 15, 12, 0, tzinfo=sofia)),
    ]
    client = api_as(admin)

    created = client.call(
        "post",
        "/opportunities",
        {
            "name": "Migrated",
            "amount": "4000",
            "stage_history": [{"stage": stage, "at": iso(at)} for stage, at in given],
        },
    )

    assert created.status_code == 201, created.content
    deal = created.json()
    assert (deal["stage_name"], deal["stage_kind"]) == ("Won", "won")
    assert parse(deal["closed_at"]) == given[-1][1]
    assert parse(deal["stage_entered_at"]) == given[-1][1]
    assert parse(deal["created_at"]) == given[0][1]
    history = client.call("get", f"/opportunities/{deal['id']}/stage-history").json()
    names = ["Qualification", "Needs analysis", "Proposal", "Needs analysis", "Won"]
    assert [h["stage_name"] for h in history] == names
    assert [h["stage"] for h in history] == [stage_id(b2b, n) for n in names]
    assert [parse(h["at"]) for h in history] == [at for _stage, at in given]
    assert [h["from_stage_name"] for h in history] == [None, *names[:-1]]
    assert [h["from_stage"] for h in history] == [None, *[stage_id(b2b, n) for n in names[:-1]]]
    assert all(h["imported"] and h["by"] == admin.user.pk for h in history)
    days = [h["days_in_stage"] for h in history]
    expected = [round((given[i + 1][1] - given[i][1]).total_seconds() / 86400, 4) for i in range(4)]
    assert days == [*expected, None]


def test_a_migrated_open_deal_counts_its_current_stage_until_now(admin, b2b, api_as):
    at = timezone.now() - datetime.timedelta(days=10)
    client = api_as(admin)
    deal = client.call(
        "post",
        "/opportunities",
        {"name": "Open", "stage_history": [{"stage": "Needs analysis", "at": iso(at)}]},
    ).json()

    history = client.call("get", f"/opportunities/{deal['id']}/stage-history").json()

    assert [(h["stage_name"], h["from_stage"]) for h in history] == [("Needs analysis", None)]
    assert 9.99 < history[0]["days_in_stage"] < 10.01


def test_a_history_time_without_offset_is_the_organisation_local_time(org, admin, b2b, api_as):
    org.time_zone = "Europe/Sofia"
    org.save()
    client = api_as(admin)
    deal = client.call(
        "post",
        "/opportunities",
        {"name": "Local", "stage_history": [{"stage": "Qualification", "at": "2025-07-01T12:00"}]},
    ).json()

    history = client.call("get", f"/opportunities/{deal['id']}/stage-history").json()

    assert parse(history[0]["at"]) == datetime.datetime(2025, 7, 1, 9, 0, tzinfo=datetime.UTC)


@pytest.mark.parametrize(
    ("entries", "message"),
    [
        (
            [("Proposal", "2025-02-01T00:00:00Z"), ("Qualification", "2025-01-01T00:00:00Z")],
            "chronological",
        ),
        ([("Qualification", "2999-01-01T00:00:00+02:00")], "future"),
        ([("Qualification", "2025-01-01T00:00:00Z"), ("Closing", "2025-01-02T00:00:00Z")], "2"),
        ([(2**62, "2025-01-01T00:00:00Z")], "No such stage"),
        ([("99999999999999999999999", "2025-01-01T00:00:00Z")], "No such stage"),
        ([("²", "2025-01-01T00:00:00Z")], "not a stage"),
    ],
)
def test_a_bad_migrated_history_is_refused_and_nothing_is_created(
    org, admin, b2b, api_as, entries, message
):
    client = stable(api_as(admin))
    before = tenant_snapshot(org)

    response = client.call(
        "post",
        "/opportunities",
        {"name": "Bad", "stage_history": [{"stage": s, "at": at} for s, at in entries]},
    )

    assert response.status_code == 422
    errors = response.json()["errors"]
    assert [e["field"] for e in errors] == ["stage_history"]
    assert message in errors[0]["message"]
    assert tenant_snapshot(org) == before


@pytest.mark.parametrize("at", ["yesterday", "0001-01-01T00:00:00+02:00", None])
def test_a_history_entry_needs_a_valid_time(admin, b2b, api_as, at):
    response = api_as(admin).call(
        "post",
        "/opportunities",
        {"name": "Bad", "stage_history": [{"stage": "Qualification", "at": at}]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "stage_history.0.at"


def test_only_administrators_give_a_history(org, rep, manager, b2b, api_as):
    for actor in (rep, manager):
        client = stable(api_as(actor))
        before = tenant_snapshot(org)
        response = client.call(
            "post",
            "/opportunities",
            {
                "name": "Backdated",
                "stage_history": [{"stage": "Qualification", "at": "2025-01-01T00:00:00Z"}],
            },
        )
        assert response.status_code == 403
        assert tenant_snapshot(org) == before


# -- bulk actions ------------------------------------------------------------------------------


def test_bulk_reassign_reports_each_deal(org, manager, rep, admin, b2b, api_as):
    factories.team(admin, "Sofia", manager=manager, members=[rep])
    stranger = factories.member(org, "sales_rep")
    ours = [factories.opportunity(rep, name=f"Deal {n}") for n in range(3)]
    hidden = factories.opportunity(stranger, name="Not ours")
    ids = [d.pk for d in ours] + [hidden.pk, 2**62]

    response = api_as(manager).call(
        "post", "/opportunities/bulk-reassign", {"ids": ids, "owner": manager.user.pk}
    )

    assert response.status_code == 200, response.content
    assert response.json() == {
        "done": [d.pk for d in ours],
        "refused": [
            {"id": hidden.pk, "reason": "Not found."},
            {"id": 2**62, "reason": "Not found."},
        ],
    }
    owners = dict(Opportunity.objects.for_tenant(org).values_list("name", "owner_id"))
    assert owners == {
        "Deal 0": manager.user.pk,
        "Deal 1": manager.user.pk,
        "Deal 2": manager.user.pk,
        "Not ours": stranger.user.pk,
    }


def test_bulk_reassign_to_a_non_member_is_refused(rep, b2b, api_as, other_org_records):
    deal = factories.opportunity(rep)
    response = api_as(rep).call(
        "post",
        "/opportunities/bulk-reassign",
        {"ids": [deal.pk], "owner": other_org_records.ids["user"]},
    )
    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "owner"


def test_bulk_move_passes_each_deal_through_the_gate(admin, rep, b2b, api_as):
    renewals = factories.pipeline(admin, name="Renewals")
    with_amount = factories.opportunity(rep, name="Priced", amount=Decimal(100))
    without = factories.opportunity(rep, name="Unpriced")
    elsewhere = factories.opportunity(rep, name="Renewal", pipeline_id=renewals.pk)

    response = api_as(rep).call(
        "post",
        "/opportunities/bulk-move",
        {"ids": [with_amount.pk, without.pk, elsewhere.pk], "stage": stage_id(b2b, "Proposal")},
    )

    assert response.status_code == 200, response.content
    body = response.json()
    assert body["done"] == [with_amount.pk]
    reasons = {r["id"]: r["reason"] for r in body["refused"]}
    assert set(reasons) == {without.pk, elsewhere.pk}
    assert "Proposal" in reasons[without.pk] and "amount" in reasons[without.pk]
    assert "another pipeline" in reasons[elsewhere.pk]
    stages = dict(Opportunity.objects.for_tenant(rep.tenant).values_list("name", "stage__name"))
    assert stages == {"Priced": "Proposal", "Unpriced": "Qualification", "Renewal": "Qualification"}


def test_bulk_limits(rep, b2b, api_as):
    client = api_as(rep)
    assert client.call("post", "/opportunities/bulk-move", {"ids": [], "stage": 1}).status_code == (
        422
    )
    too_many = {"ids": list(range(1, 1002)), "owner": rep.user.pk}
    assert client.call("post", "/opportunities/bulk-reassign", too_many).status_code == 422


# -- other organisations -----------------------------------------------------------------------


def test_references_to_another_organisation_are_refused_like_missing_ones(
    org, rep, b2b, api_as, other_org_records
):
    client = stable(api_as(rep))
    deal = factories.opportunity(rep, name="Ours")
    ids = other_org_records.ids
    before = tenant_snapshot(org)
    rival_before = other_org_records.snapshot()
    cases = [
        ("post", "/opportunities", {"name": "X", "owner": ids["user"]}, "owner"),
        ("post", "/opportunities", {"name": "X", "account": ids["account"]}, "account"),
        ("post", "/opportunities", {"name": "X", "contact": ids["contact"]}, "contact"),
        ("post", "/opportunities", {"name": "X", "pipeline": ids["pipeline"]}, "pipeline"),
        ("post", "/opportunities", {"name": "X", "stage": ids["stage"]}, "stage"),
        ("patch", f"/opportunities/{deal.pk}", {"account": ids["account"]}, "account"),
        ("patch", f"/opportunities/{deal.pk}", {"owner": ids["admin_user"]}, "owner"),
        ("patch", f"/opportunities/{deal.pk}", {"stage": ids["stage"]}, "stage"),
        ("post", f"/opportunities/{deal.pk}/move", {"stage": ids["stage"]}, "stage"),
        (
            "post",
            f"/opportunities/{deal.pk}/move",
            {"stage": stage_id(b2b, "Negotiation"), "contact": ids["contact"]},
            "contact",
        ),
        ("post", "/opportunities/bulk-move", {"ids": [deal.pk], "stage": ids["stage"]}, "stage"),
        ("post", "/opportunities/bulk-reassign", {"ids": [deal.pk], "owner": ids["user"]}, "owner"),
    ]
    for method, path, body, field in cases:
        theirs = client.call(method, path, body)
        missing = client.call(method, path, {**body, field: 2**62})
        assert theirs.status_code == 422, (method, path, field, theirs.content)
        assert theirs.json() == missing.json(), (method, path, field)
        assert not other_org_records.leaked_markers(theirs.content.decode())
        assert theirs.json()["errors"][0]["field"] == field
        assert "No such" in theirs.json()["errors"][0]["message"] or field == "owner"
    assert tenant_snapshot(org) == before
    assert other_org_records.snapshot() == rival_before


def test_rival_deals_in_bulk_are_refused_as_not_found(rep, b2b, api_as, other_org_records):
    ids = [other_org_records.ids["opportunity"], other_org_records.ids["opportunity_deleted"]]
    before = other_org_records.snapshot()
    response = api_as(rep).call(
        "post", "/opportunities/bulk-reassign", {"ids": ids, "owner": rep.user.pk}
    )
    assert response.json() == {
        "done": [],
        "refused": [{"id": pk, "reason": "Not found."} for pk in ids],
    }
    assert other_org_records.snapshot() == before


def test_a_rival_exchange_rate_does_not_convert_our_amounts(
    admin, rep, b2b, api_as, other_org_records
):
    # Rival has a GBP rate; we do not.
    response = api_as(rep).call(
        "post", "/opportunities", {"name": "UK", "amount": 10, "currency": "GBP"}
    )
    assert response.status_code == 422
    pipelines.exchange_rate_create(by=admin, currency="GBP", rate=Decimal("1.2"))
    response = api_as(rep).call(
        "post", "/opportunities", {"name": "UK", "amount": 10, "currency": "GBP"}
    )
    assert response.json()["amount_base"] == "12.00"
