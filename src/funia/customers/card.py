"""The customer card (the 360° view): everything about an account or a contact in one read.

Two registries let every module add to the card without touching this one:

- sections: `register_section(key, title, provider, order)`; `provider(actor, record)`
  returns the section's items (`CardItem`s, or a `SectionContent` with a "more" link).
  Customers registers "contacts" (an account's; a contact's accounts are in its details);
  the later modules use the keys and orders below for their sections.
- timeline sources: `register_timeline_source(provider)`;
  `provider(actor, record, *, before, limit)` returns up to `limit` `TimelineEntry`s older
  than `before` (None: from now), newest first. Customers adds the audit trail (the
  record's, and an account's contacts'); activities, calls and emails add theirs.

Providers read through selectors, so they see only what the actor may see. The card keeps
the sections of the record's type (`record_types`), and the timeline merged newest first
and cut at `limit`, with a cursor for the next page.

    from funia.customers.card import CardItem, register_section, ORDER_OPPORTUNITIES
    register_section("opportunities", _("Opportunities"), opportunity_items,
                     ORDER_OPPORTUNITIES)
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import urlencode

from django.apps import apps
from django.core.exceptions import ObjectDoesNotExist
from django.db.models import Q
from django.http import Http404
from django.urls import NoReverseMatch, reverse
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _

from funia.core.actor import Actor
from funia.core.models import AuditAction, AuditEntry
from funia.core.visibility import visible_records
from funia.customers.models import Account, Contact
from funia.web.decorators import member_required
from funia.web.htmx import render_page_or_fragment

ACCOUNT, CONTACT = "customers.account", "customers.contact"
SECTION_LIMIT = 20
TIMELINE_PAGE = 20
TIMELINE_MAX = 100

# Where the modules' sections go on the card (lower first).
ORDER_CONTACTS = 10
ORDER_OPPORTUNITIES = 20
ORDER_ORDERS = 30
ORDER_CAMPAIGN_RESPONSES = 40
ORDER_TICKETS = 50
ORDER_CALLS = 60


@dataclass(frozen=True)
class CardItem:
    """One line of a section: a linked title, a detail line, a date and a status."""

    title: str
    detail: str = ""
    url: str = ""
    at: datetime | None = None
    status: str = ""
    id: int | None = None


@dataclass(frozen=True)
class SectionContent:
    """A section's items when there are more than shown: `more` links to all of them."""

    items: list[CardItem]
    more: str = ""


@dataclass(frozen=True)
class Section:
    key: str
    title: Any
    provider: Callable[[Actor, Any], Iterable[CardItem] | SectionContent]
    order: int = 100
    # Model labels the section belongs on ("customers.account"); None: every customer card.
    record_types: tuple[str, ...] | None = None


@dataclass(frozen=True)
class TimelineEntry:
    """A contact made (a call, an email, a meeting) or a change, on the card's timeline."""

    at: datetime
    kind: str  # "change", "call", "email", "meeting", ...
    title: str
    detail: str = ""
    user: str = ""
    link: str = ""
    # (field label, old, new) of a change, for the page to show as a diff.
    changes: tuple[tuple[str, str, str], ...] = ()


@dataclass(frozen=True)
class CardSection:
    key: str
    title: str
    items: list[CardItem]
    more: str = ""


@dataclass(frozen=True)
class Action:
    """A button on the card that starts work on the customer ("Log a call", "New deal")."""

    key: str
    label: Any
    url: Callable[[Any], str]  # (record) -> the page that starts it, prefilled
    order: int = 100
    record_types: tuple[str, ...] | None = None


@dataclass(frozen=True)
class CardAction:
    key: str
    label: str
    url: str


@dataclass
class Card:
    record: Any
    sections: list[CardSection] = field(default_factory=list)
    actions: list[CardAction] = field(default_factory=list)
    timeline: list[TimelineEntry] = field(default_factory=list)
    # The `before` cursor of the next timeline page; None when this is the last.
    timeline_next: datetime | None = None

    @property
    def filled_sections(self) -> list[CardSection]:
        return [section for section in self.sections if section.items]


_sections: dict[str, Section] = {}
_actions: dict[str, Action] = {}
_timeline_sources: list[Callable] = []


def register_section(
    key: str,
    title,
    provider: Callable,
    order: int = 100,
    *,
    record_types: Iterable[str] | None = None,
) -> Section:
    """Add (or replace, by key) a section of the card."""
    section = Section(
        key, title, provider, order, tuple(record_types) if record_types is not None else None
    )
    _sections[key] = section
    return section


def unregister_section(key: str) -> None:
    _sections.pop(key, None)


def register_timeline_source(provider: Callable) -> Callable:
    """Add a timeline source; usable as a decorator."""
    if provider not in _timeline_sources:
        _timeline_sources.append(provider)
    return provider


def unregister_timeline_source(provider: Callable) -> None:
    if provider in _timeline_sources:
        _timeline_sources.remove(provider)


def register_action(
    key: str, label, url: Callable, order: int = 100, *, record_types: Iterable[str] | None = None
) -> Action:
    """Add (or replace, by key) a button of the card, e.g. the activities' "Log a call"."""
    action = Action(key, label, url, order, tuple(record_types) if record_types else None)
    _actions[key] = action
    return action


def actions_for(actor: Actor, record) -> list[CardAction]:
    """The card's buttons; none for readers who may not write (analysts)."""
    from funia.core.visibility import READ_ONLY

    if actor.role in READ_ONLY or record.is_deleted:
        return []
    label = record._meta.label_lower
    chosen = [a for a in _actions.values() if a.record_types is None or label in a.record_types]
    return [
        CardAction(a.key, str(a.label), a.url(record))
        for a in sorted(chosen, key=lambda a: (a.order, a.key))
    ]


def sections_for(record) -> list[Section]:
    label = record._meta.label_lower
    chosen = [s for s in _sections.values() if s.record_types is None or label in s.record_types]
    return sorted(chosen, key=lambda s: (s.order, s.key))


def _section(section: Section, actor: Actor, record) -> CardSection:
    content = section.provider(actor, record)
    if not isinstance(content, SectionContent):
        content = SectionContent(items=list(content or []))
    return CardSection(section.key, str(section.title), list(content.items), content.more)


def timeline(
    *, actor: Actor, record, before: datetime | None = None, limit: int = TIMELINE_PAGE
) -> tuple[list[TimelineEntry], datetime | None]:
    """The record's timeline, newest first: one page and the cursor of the next (or None)."""
    limit = max(1, min(limit, TIMELINE_MAX))
    entries: list[TimelineEntry] = []
    for source in _timeline_sources:
        entries += source(actor, record, before=before, limit=limit + 1)
    entries.sort(key=lambda e: e.at, reverse=True)
    page = entries[:limit]
    # Entries at the very same instant stay together: the next page starts before it.
    while len(page) < len(entries) and entries[len(page)].at == page[-1].at:
        page.append(entries[len(page)])
    return page, (page[-1].at if len(entries) > len(page) else None)


def customer_card(
    *, actor: Actor, record, before: datetime | None = None, limit: int = TIMELINE_PAGE
) -> Card:
    """The card of an account or a contact the actor may see (the caller looked it up)."""
    entries, next_cursor = timeline(actor=actor, record=record, before=before, limit=limit)
    return Card(
        record=record,
        sections=[_section(s, actor, record) for s in sections_for(record)],
        actions=actions_for(actor, record),
        timeline=entries,
        timeline_next=next_cursor,
    )


# -- what customers put on the card ---------------------------------------------------------


def record_url(object_type: str, object_id: int) -> str:
    """The page of a record by its audit type ("customers.contact"), or "" if it has none."""
    try:
        return reverse(f"{object_type.split('.')[-1]}_detail", args=[object_id])
    except NoReverseMatch:
        return ""


def account_contacts_section(actor: Actor, account: Account) -> SectionContent:
    contacts = (
        visible_records(Contact, actor)
        .filter(account=account)
        .prefetch_related("points")
        .order_by("last_name", "first_name", "id")
    )
    shown = list(contacts[: SECTION_LIMIT + 1])
    items = [
        CardItem(
            id=c.pk,
            title=str(c),
            detail=" · ".join(d for d in (c.title, c.primary_email or c.primary_phone) if d),
            url=reverse("contact_detail", args=[c.pk]),
        )
        for c in shown[:SECTION_LIMIT]
    ]
    more = f"{reverse('contact_list')}?account={account.pk}" if len(shown) > SECTION_LIMIT else ""
    return SectionContent(items, more)


def _shown(value) -> str:
    if value in (None, "", []):
        return "—"
    if isinstance(value, list | tuple):
        return ", ".join(str(v) for v in value)
    return str(value)


def _audit_entry(entry: AuditEntry, record) -> TimelineEntry:
    own = entry.object_type == record._meta.label_lower and entry.object_id == record.pk
    action = capfirst(entry.get_action_display())
    if own:
        title = action
    else:
        model = apps.get_model(entry.object_type)
        title = gettext("%(type)s %(name)s: %(action)s") % {
            "type": capfirst(model._meta.verbose_name),
            "name": entry.object_repr,
            "action": action.lower(),
        }
    changes = ()
    if entry.action == AuditAction.UPDATE:
        changes = tuple(
            (capfirst(label), _shown(old), _shown(new))
            for label, old, new in entry.labelled_changes()
        )
    user = str(entry.user) if entry.user else gettext("the system")
    if entry.token_id:
        user = gettext("%(user)s (API token)") % {"user": user}
    return TimelineEntry(
        at=entry.at,
        kind="change",
        title=title,
        detail="; ".join(f"{label}: {old} → {new}" for label, old, new in changes),
        user=user,
        link="" if own else record_url(entry.object_type, entry.object_id),
        changes=changes,
    )


def audit_timeline(actor: Actor, record, *, before=None, limit=TIMELINE_PAGE):
    """Every change of the record and, on an account's card, of its contacts you may see."""
    label = record._meta.label_lower
    which = Q(object_type=label, object_id=record.pk)
    if label == ACCOUNT:
        contact_ids = visible_records(Contact, actor, with_deleted=True).filter(account=record)
        which |= Q(object_type=CONTACT, object_id__in=contact_ids.values("pk"))
    entries = AuditEntry.objects.for_tenant(actor.tenant).filter(which)
    if before is not None:
        entries = entries.filter(at__lt=before)
    entries = entries.select_related("user").order_by("-at", "-id")[:limit]
    return [_audit_entry(entry, record) for entry in entries]


register_section(
    "contacts",
    _("Contacts"),
    account_contacts_section,
    ORDER_CONTACTS,
    record_types=[ACCOUNT],
)
register_timeline_source(audit_timeline)


# -- pages: the card on the record page, older timeline entries -----------------------------


def timeline_url(record, before: datetime | None) -> str:
    """The page (or, for HTMX, the fragment) of the timeline entries older than `before`."""
    if before is None:
        return ""
    page = reverse(f"{record._meta.model_name}_timeline", args=[record.pk])
    return f"{page}?{urlencode({'before': before.isoformat()})}"


def card_context(*, actor: Actor, record) -> dict:
    """What the record page needs to show the card (its `detail_context` adds this)."""
    card = customer_card(actor=actor, record=record)
    return {"card": card, "card_timeline_next_url": timeline_url(record, card.timeline_next)}


def timeline_view(get_selector: Callable):
    """Older entries of a record's timeline: a page, or the entries for HTMX's "more"."""

    @member_required
    def view(request, pk: int):
        try:
            record = get_selector(actor=request.actor, pk=pk, with_deleted=True)
        except ObjectDoesNotExist as exc:
            raise Http404 from exc
        before = parse_datetime(request.GET.get("before", "")[:40])
        entries, next_cursor = timeline(actor=request.actor, record=record, before=before)
        context = {
            "record": record,
            "record_url": reverse(f"{record._meta.model_name}_detail", args=[record.pk]),
            "entries": entries,
            "timeline_next_url": timeline_url(record, next_cursor),
        }
        return render_page_or_fragment(
            request,
            "customers/card_timeline.html",
            "customers/_card_timeline_entries.html",
            context,
        )

    return view


def _urlpatterns() -> list:
    from django.urls import path

    from funia.customers import selectors
    from funia.web import converters  # noqa: F401  (the <id:...> converter)

    return [
        path(
            "accounts/<id:pk>/timeline/",
            timeline_view(selectors.account_get),
            name="account_timeline",
        ),
        path(
            "contacts/<id:pk>/timeline/",
            timeline_view(selectors.contact_get),
            name="contact_timeline",
        ),
    ]


urlpatterns = _urlpatterns()
