"""Accounts and contacts in the global search (the first two searchables).

A contact's document is its own search text (name in Latin letters, emails, phone digits)
followed by its account's, so a contact is found by its company's name, domain or phone.
When the account's search text changes, the documents of its contacts follow (trigger).
"""

import contextlib

from django.db.models import Prefetch
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from funia.customers.models import Account, Contact, ContactPoint
from funia.customers.normalize import company_name_key, normalize_domain, person_name_key
from funia.search.index import Dependency, IndexSpec
from funia.search.registry import Presentation, Searchable, register

EXACT_LIMIT = 50

ACCOUNT_INDEX = IndexSpec(
    name="account",
    table=Account._meta.db_table,
    document="' ' || r.search_text",
    watch=("search_text", "deleted_at"),
)

CONTACT_INDEX = IndexSpec(
    name="contact",
    table=Contact._meta.db_table,
    document="' ' || r.search_text || ' ' || coalesce(a.search_text, '')",
    joins=f"LEFT JOIN {Account._meta.db_table} a ON a.id = r.account_id",
    watch=("search_text", "account_id", "deleted_at"),
    dependencies=(
        Dependency(
            table=Account._meta.db_table,
            watch=("search_text",),
            rows="r.tenant_id = {changed}.tenant_id AND r.account_id = {changed}.id",
        ),
    ),
)


def _ids(queryset) -> list[int]:
    return list(queryset.values_list("pk", flat=True)[:EXACT_LIMIT])


def _point_owners(actor, query, owner: str) -> list[int]:
    ids: list[int] = []
    points = ContactPoint.objects.for_tenant(actor.tenant).filter(**{f"{owner}__isnull": False})
    for kind, values in (("email", query.emails), ("phone", query.phones)):
        if values:
            rows = points.filter(kind=kind, value__in=values).values_list(f"{owner}_id", flat=True)
            ids += rows[:EXACT_LIMIT]
    return ids


def contact_exact(actor, query) -> list[int]:
    """The whole name (in any order and script), an email address or a phone number."""
    ids = _point_owners(actor, query, "contact")
    if query.is_phone or query.emails:
        return ids
    keys = {person_name_key(" ".join(words), "") for words in query.name_spellings()}
    ids += _ids(Contact.objects.for_tenant(actor.tenant).filter(name_key__in=keys))
    return ids


def account_exact(actor, query) -> list[int]:
    """The name (without its legal form), the domain, an email address or a phone number."""
    ids = _point_owners(actor, query, "account")
    if query.is_phone:
        return ids
    accounts = Account.objects.for_tenant(actor.tenant)
    if key := company_name_key(query.raw):
        ids += _ids(accounts.filter(name_key=key))
    if "." in query.raw and " " not in query.raw and "@" not in query.raw:
        with contextlib.suppress(ValueError):  # not a domain after all
            ids += _ids(accounts.filter(domain=normalize_domain(query.raw)))
    return ids


def _points(actor):
    return Prefetch(
        "points", queryset=ContactPoint.objects.for_tenant(actor.tenant).order_by("position", "id")
    )


def present_contact(contact: Contact) -> Presentation:
    details = [contact.title, str(contact.account) if contact.account else ""]
    details.append(contact.primary_email or contact.primary_phone)
    return Presentation(
        title=str(contact),
        subtitle=" · ".join(d for d in details if d),
        url=reverse("contact_detail", args=[contact.pk]),
    )


def present_account(account: Account) -> Presentation:
    details = [account.domain, account.city, account.industry]
    return Presentation(
        title=account.name,
        subtitle=" · ".join(d for d in details if d),
        url=reverse("account_detail", args=[account.pk]),
    )


register(
    Searchable(
        type="account",
        label=_("Accounts"),
        model="customers.Account",
        index=ACCOUNT_INDEX,
        present=present_account,
        exact=account_exact,
        order=10,
    )
)
register(
    Searchable(
        type="contact",
        label=_("Contacts"),
        model="customers.Contact",
        index=CONTACT_INDEX,
        present=present_contact,
        exact=contact_exact,
        own_text=lambda contact: contact.search_text,
        prepare=lambda qs, actor: qs.select_related("account").prefetch_related(_points(actor)),
        order=20,
    )
)
