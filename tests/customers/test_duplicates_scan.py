"""The duplicate scan of a whole organisation: clusters, blocking limits, the job."""

import pytest
from django.core.management import call_command

from funia.customers import dedupe, services
from funia.customers.models import Contact, DuplicateCluster, DuplicateScan
from tests import factories


def run_worker():
    call_command("db_worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


def names_of_clusters(tenant, record_type="contact") -> list[set[str]]:
    """The latest finished scan's clusters, as sets of record names, best first."""
    scan = (
        DuplicateScan.objects.for_tenant(tenant)
        .filter(type=record_type, status="done")
        .latest("created_at")
    )
    clusters = []
    for cluster in (
        DuplicateCluster.objects.for_tenant(tenant).filter(scan=scan).order_by("-score", "pk")
    ):
        records = [getattr(m, record_type) for m in cluster.members.select_related(record_type)]
        clusters.append({str(record) for record in records})
    return clusters


def found_names(tenant, record_type="contact") -> list[set[str]]:
    """Clusters straight from find_clusters, as sets of names."""
    model = Contact if record_type == "contact" else services.Account
    names = {
        r.pk: str(r) for r in model.objects.for_tenant(tenant, with_deleted=True).order_by("pk")
    }
    return [
        {names[pk] for pk in cluster.record_ids}
        for cluster in dedupe.find_clusters(tenant=tenant, record_type=record_type)
    ]


def sample_people(admin):
    """Three clusters (one of them only transitive) and people who belong to none."""
    make = factories.contact
    make(admin, first_name="Ivan", last_name="Petrov", emails=["ivan@example.com"])
    make(admin, first_name="Иван", last_name="Петров")
    make(admin, first_name="Petrov", last_name="Ivan")
    make(admin, first_name="Georgi", last_name="Ivanov")
    make(admin, first_name="Gosho", last_name="Ivanov")
    # Stefan ~ Stefan by name, the second Stefan ~ Kiril by a shared email: one cluster,
    # though the first Stefan and Kiril have nothing in common.
    make(admin, first_name="Stefan", last_name="Dimitrov", phones=["+359888111222"])
    make(admin, first_name="Stefan", last_name="Dimitrov", emails=["office@dimitrov.example"])
    make(admin, first_name="Kiril", last_name="Angelov", emails=["office@dimitrov.example"])
    make(admin, first_name="Ivana", last_name="Petrova")
    make(admin, first_name="Nikolay", last_name="Todorov")
    make(admin, first_name="Elena", last_name="Georgieva")


# -- through the real worker -------------------------------------------------------------


@pytest.mark.django_db(transaction=True)
def test_a_scan_run_by_the_worker_clusters_a_small_dataset(admin):
    sample_people(admin)

    scan = dedupe.duplicate_scan_start(by=admin, record_type="contact")
    assert scan.status == "queued"
    run_worker()

    scan.refresh_from_db()
    assert (scan.status, scan.processed, scan.total, scan.cluster_count) == ("done", 11, 11, 3)
    assert scan.progress == 100
    assert names_of_clusters(admin.tenant) == [
        {"Ivan Petrov", "Иван Петров", "Petrov Ivan"},
        {"Stefan Dimitrov", "Kiril Angelov"},
        {"Georgi Ivanov", "Gosho Ivanov"},
    ]
    first, transitive, nickname = DuplicateCluster.objects.for_tenant(admin.tenant).order_by(
        "-score", "pk"
    )
    assert (first.score, first.reasons, first.size) == (70, ["name", "swapped_names"], 3)
    assert (transitive.reasons, transitive.size) == (["email", "name"], 3)
    assert (nickname.score, nickname.reasons) == (66, ["nickname"])


@pytest.mark.django_db(transaction=True)
def test_the_scan_job_is_idempotent(admin):
    sample_people(admin)
    scan = dedupe.duplicate_scan_start(by=admin, record_type="contact")
    run_worker()
    clusters = names_of_clusters(admin.tenant)

    # A retried delivery of the finished job changes nothing...
    dedupe.duplicate_scan_run(tenant_id=admin.tenant.pk, scan_id=scan.pk)
    assert names_of_clusters(admin.tenant) == clusters
    # ...and an interrupted run started over replaces what it had written.
    DuplicateScan.objects.for_tenant(admin.tenant).filter(pk=scan.pk).update(status="running")
    dedupe.duplicate_scan_run(tenant_id=admin.tenant.pk, scan_id=scan.pk)
    assert names_of_clusters(admin.tenant) == clusters
    assert DuplicateCluster.objects.for_tenant(admin.tenant).count() == 3


@pytest.mark.django_db(transaction=True)
def test_a_scan_started_in_a_rolled_back_transaction_is_never_run(admin):
    from django.db import transaction

    with pytest.raises(RuntimeError), transaction.atomic():
        dedupe.duplicate_scan_start(by=admin, record_type="contact")
        raise RuntimeError("the request failed")
    run_worker()

    assert not DuplicateScan.objects.for_tenant(admin.tenant).exists()


# -- clustering --------------------------------------------------------------------------


def test_clusters_hold_transitive_duplicates(admin):
    sample_people(admin)
    contacts = Contact.objects.for_tenant(admin.tenant)
    first_stefan, second_stefan = contacts.filter(first_name="Stefan").order_by("pk")
    kiril = contacts.get(first_name="Kiril")

    clusters = dedupe.find_clusters(tenant=admin.tenant, record_type="contact")

    assert [first_stefan.pk, second_stefan.pk, kiril.pk] in [c.record_ids for c in clusters]


def test_people_who_only_look_alike_are_in_no_cluster(admin):
    sample_people(admin)

    clustered = set().union(*found_names(admin.tenant))

    assert not clustered & {"Ivana Petrova", "Nikolay Todorov", "Elena Georgieva"}


def test_a_scan_skips_merged_and_trashed_records(admin):
    kept = factories.contact(admin, first_name="Petar", last_name="Vasilev")
    merged = factories.contact(admin, first_name="Petar", last_name="Vasilev")
    Contact.objects.for_tenant(admin.tenant).filter(pk=merged.pk).update(merged_into=kept)
    factories.contact(admin, first_name="Todor", last_name="Zhivkov")
    trashed = factories.contact(admin, first_name="Todor", last_name="Zhivkov")
    services.contact_delete(by=admin, contact=trashed)

    assert dedupe.find_clusters(tenant=admin.tenant, record_type="contact") == []


def test_a_common_name_alone_makes_no_cluster_but_with_the_same_account_it_does(admin):
    acme = factories.account(admin, name="Acme")
    for _ in range(dedupe.COMMON + 2):
        factories.contact(admin, first_name="Ivan", last_name="Petrov")
    twins = [
        factories.contact(admin, first_name="Ivan", last_name="Petrov", account_id=acme.pk)
        for _ in range(2)
    ]

    clusters = dedupe.find_clusters(tenant=admin.tenant, record_type="contact")

    assert [c.record_ids for c in clusters] == [sorted(t.pk for t in twins)]
    assert clusters[0].reasons == ["name", "account"]


def test_an_email_shared_by_many_records_is_no_evidence(admin):
    people = ["Maria Ivanova", "Stoyan Kolev", "Elena Georgieva", "Nikolay Todorov"]
    people += ["Petya Vasileva", "Kiril Angelov"]
    assert len(people) > dedupe.COMMON
    for person in people:
        first, last = person.split()
        factories.contact(admin, first_name=first, last_name=last, emails=["info@example.com"])

    assert dedupe.find_clusters(tenant=admin.tenant, record_type="contact") == []


def test_a_scan_of_accounts_clusters_domains_and_names_in_any_script(admin):
    factories.account(admin, name="Balkan Foods", domain="balkanfoods.bg")
    factories.account(admin, name="BF Group", domain="balkanfoods.bg")
    factories.account(admin, name="„Фуния“ ООД")
    factories.account(admin, name="Funiya Ltd")
    factories.account(admin, name="Sofia Logistics")

    assert found_names(admin.tenant, "account") == [
        {"Balkan Foods", "BF Group"},
        {"„Фуния“ ООД", "Funiya Ltd"},
    ]


def test_a_scan_of_one_organisation_never_reads_another(admin, outsider):
    factories.contact(admin, first_name="Ivan", last_name="Petrov")
    factories.contact(outsider, first_name="Ivan", last_name="Petrov")
    factories.contact(outsider, first_name="Ivan", last_name="Petrov")

    assert dedupe.find_clusters(tenant=admin.tenant, record_type="contact") == []
    assert len(dedupe.find_clusters(tenant=outsider.tenant, record_type="contact")) == 1


def test_a_scan_reports_its_progress_while_reading(admin):
    for n in range(5):
        factories.contact(admin, first_name=f"Person{n}", last_name="Progress")
    seen = []

    dedupe.find_clusters(
        tenant=admin.tenant,
        record_type="contact",
        progress=lambda processed, total: seen.append((processed, total)),
    )

    assert seen[0] == (0, 5)
    assert seen[-1] == (5, 5)


def test_a_huge_block_is_compared_within_a_window_not_in_full():
    pairs = list(dedupe._block_pairs(list(range(10_000))))

    assert len(pairs) <= 10_000 * dedupe.WINDOW
    assert (0, 1) in pairs and (0, 9_999) not in pairs
    assert len(list(dedupe._block_pairs(list(range(dedupe.FULL_BLOCK))))) == 190


# -- scans: starting, keeping ------------------------------------------------------------


def test_starting_a_scan_while_one_is_queued_returns_that_one(admin, manager):
    first = dedupe.duplicate_scan_start(by=admin, record_type="contact")

    again = dedupe.duplicate_scan_start(by=manager, record_type="contact")
    accounts = dedupe.duplicate_scan_start(by=manager, record_type="account")

    assert again.pk == first.pk
    assert accounts.pk != first.pk


def test_an_abandoned_scan_does_not_block_a_new_one(admin):
    from datetime import timedelta

    from django.utils import timezone

    stale = dedupe.duplicate_scan_start(by=admin, record_type="contact")
    DuplicateScan.objects.for_tenant(admin.tenant).filter(pk=stale.pk).update(
        status="running", updated_at=timezone.now() - timedelta(hours=2)
    )

    assert dedupe.duplicate_scan_start(by=admin, record_type="contact").pk != stale.pk


def test_only_the_latest_finished_scans_are_kept(admin):
    factories.contact(admin, first_name="Ivan", last_name="Petrov")
    factories.contact(admin, first_name="Ivan", last_name="Petrov")
    scans = []
    for _ in range(dedupe.KEEP_SCANS + 2):
        scan = dedupe.duplicate_scan_start(by=admin, record_type="contact")
        dedupe.duplicate_scan_run(tenant_id=admin.tenant.pk, scan_id=scan.pk)
        scans.append(scan.pk)

    kept = set(DuplicateScan.objects.for_tenant(admin.tenant).values_list("pk", flat=True))
    assert kept == set(scans[-dedupe.KEEP_SCANS :])
    assert DuplicateCluster.objects.for_tenant(admin.tenant).count() == dedupe.KEEP_SCANS
