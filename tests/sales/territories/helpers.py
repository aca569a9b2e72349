"""Shared builders of the territory tests."""

from funia.customers.models import Account
from funia.sales.territories import matching, services
from tests import factories


def territory(admin, name="Territory", **fields):
    return services.territory_create(by=admin, name=name, **fields)


def account(admin, name="Acme", **fields):
    return factories.account(admin, name=name, **fields)


def in_sql(admin, territory_obj) -> set[int]:
    """Ids of the accounts territory_q puts in the territory."""
    q = matching.territory_q(admin.tenant, territory_obj)
    return set(Account.objects.for_tenant(admin.tenant).filter(q).values_list("pk", flat=True))


def by_case(admin) -> dict[int, int | None]:
    """Account id -> territory id, as the report's CASE expression classifies them."""
    rows = (
        Account.objects.for_tenant(admin.tenant)
        .annotate(t=matching.territory_case(admin.tenant))
        .values_list("pk", "t")
    )
    return dict(rows)


def by_python(admin) -> dict[int, int | None]:
    result = {}
    for acc in Account.objects.for_tenant(admin.tenant):
        found = matching.territory_of(acc)
        result[acc.pk] = found.pk if found else None
    return result
