"""Tenant scoping fails closed: a query of a tenant model runs only inside one organisation."""

import pytest
from asgiref.sync import async_to_sync
from django.apps import apps

from funia.core.tenancy import TenantScoped, UnscopedTenantQuery
from funia.customers import services as customer_services
from funia.customers.models import Account, Contact
from tests import factories


@pytest.fixture
def accounts_of_two_tenants(admin, outsider):
    return factories.account(admin, name="Ours"), factories.account(outsider, name="Theirs")


# -- unscoped querysets raise ------------------------------------------------------------


@pytest.mark.parametrize(
    "evaluate",
    [
        pytest.param(lambda qs: qs.count(), id="count"),
        pytest.param(list, id="list"),
        pytest.param(lambda qs: qs.exists(), id="exists"),
        pytest.param(lambda qs: qs.update(name="Changed"), id="update"),
        pytest.param(lambda qs: qs.delete(), id="delete"),
        pytest.param(lambda qs: list(qs.iterator()), id="iterator"),
        pytest.param(lambda qs: qs.first(), id="first"),
        pytest.param(lambda qs: qs.get(name="Ours"), id="get"),
        pytest.param(bool, id="bool"),
        pytest.param(lambda qs: qs[0], id="index"),
        pytest.param(lambda qs: list(qs.values_list("name", flat=True)), id="values_list"),
        pytest.param(lambda qs: qs.in_bulk(), id="in_bulk"),
    ],
)
def test_an_unscoped_queryset_of_a_tenant_model_raises_when_evaluated(
    accounts_of_two_tenants, evaluate
):
    with pytest.raises(UnscopedTenantQuery):
        evaluate(Account.objects.filter(name__in=["Ours", "Theirs"]))


def test_a_refused_unscoped_update_changes_nothing(accounts_of_two_tenants):
    with pytest.raises(UnscopedTenantQuery):
        Account.objects.all().update(name="Changed")
    ours, theirs = accounts_of_two_tenants
    assert Account.objects.for_tenant(ours.tenant).get(pk=ours.pk).name == "Ours"
    assert Account.objects.for_tenant(theirs.tenant).get(pk=theirs.pk).name == "Theirs"


def test_a_refused_unscoped_delete_deletes_nothing(accounts_of_two_tenants):
    with pytest.raises(UnscopedTenantQuery):
        Account.objects.all().delete()
    assert Account.objects.across_tenants().count() == 2


def test_scoping_to_no_tenant_raises(org):
    with pytest.raises(UnscopedTenantQuery):
        Account.objects.for_tenant(None)


TENANT_MODELS = sorted(
    (m for m in apps.get_models() if issubclass(m, TenantScoped)), key=lambda m: m._meta.label
)


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.label)
def test_every_tenant_scoped_model_refuses_unscoped_queries(admin, model):
    with pytest.raises(UnscopedTenantQuery):
        model.objects.count()


@pytest.mark.parametrize("model", TENANT_MODELS, ids=lambda m: m._meta.label)
def test_every_tenant_scoped_model_has_an_indexed_tenant_column(model):
    field = model._meta.get_field("tenant")
    assert field.db_index or any(
        index.fields and index.fields[0] == "tenant" for index in model._meta.indexes
    )


def test_an_unscoped_async_iterator_raises(accounts_of_two_tenants):
    async def names():
        return [a.name async for a in Account.objects.all().aiterator()]

    with pytest.raises(UnscopedTenantQuery):
        async_to_sync(names)()


# -- for_tenant --------------------------------------------------------------------------


def test_for_tenant_returns_only_that_tenants_rows(accounts_of_two_tenants, org):
    names = list(Account.objects.for_tenant(org).values_list("name", flat=True))
    assert names == ["Ours"]


def test_for_tenant_accepts_a_tenant_id(accounts_of_two_tenants, other_org):
    names = list(Account.objects.for_tenant(other_org.pk).values_list("name", flat=True))
    assert names == ["Theirs"]


def test_scoping_survives_chaining(accounts_of_two_tenants, org):
    qs = Account.objects.for_tenant(org).filter(name__startswith="O").exclude(pk=0)
    assert qs.order_by("name").count() == 1


def test_for_tenant_hides_soft_deleted_rows(admin, org):
    kept = factories.account(admin, name="Kept")
    trashed = factories.account(admin, name="Trashed")
    customer_services.account_delete(by=admin, account=trashed)
    assert list(Account.objects.for_tenant(org)) == [kept]


def test_for_tenant_with_deleted_includes_soft_deleted_rows(admin, org):
    kept = factories.account(admin, name="Kept")
    trashed = factories.account(admin, name="Trashed")
    customer_services.account_delete(by=admin, account=trashed)
    rows = set(Account.objects.for_tenant(org, with_deleted=True))
    assert rows == {kept, trashed}


def test_for_tenant_with_deleted_still_excludes_other_tenants(admin, outsider, org):
    theirs = factories.account(outsider, name="Theirs")
    customer_services.account_delete(by=outsider, account=theirs)
    assert not Account.objects.for_tenant(org, with_deleted=True).filter(pk=theirs.pk).exists()


def test_across_tenants_is_the_explicit_way_to_read_every_tenant(accounts_of_two_tenants):
    assert Account.objects.across_tenants().count() == 2


def test_an_unscoped_queryset_used_as_a_subquery_raises(accounts_of_two_tenants, org):
    with pytest.raises(UnscopedTenantQuery):
        list(Account.objects.for_tenant(org).filter(pk__in=Account.objects.values("pk")))


# -- related managers --------------------------------------------------------------------


def test_a_related_manager_works_without_for_tenant(admin):
    acct = factories.account(admin)
    first = factories.contact(admin, last_name="One", account_id=acct.pk)
    second = factories.contact(admin, last_name="Two", account_id=acct.pk)
    factories.contact(admin, last_name="Elsewhere")
    assert set(acct.contacts.all()) == {first, second}
    assert acct.contacts.count() == 2


def test_a_related_manager_is_scoped_to_the_records_tenant(admin, outsider):
    ours = factories.account(admin)
    factories.contact(admin, account_id=ours.pk)
    theirs = factories.contact(outsider)
    # Even a row pointing at our account from another tenant (a corrupt write) stays hidden.
    Contact.objects.for_tenant(theirs.tenant).filter(pk=theirs.pk).update(account_id=ours.pk)
    assert theirs not in list(ours.contacts.all())
    assert "tenant_id" in str(ours.contacts.all().query)


def test_a_related_manager_of_a_team_lists_its_members(admin, rep):
    team = factories.team(admin, members=[admin, rep])
    assert sorted(team.teammember_set.values_list("user_id", flat=True)) == sorted(
        [admin.user.pk, rep.user.pk]
    )
