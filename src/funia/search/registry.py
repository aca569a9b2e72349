"""The record types the global search finds: each module registers its own.

A `Searchable` says where its search document comes from (`index`, an `IndexSpec` kept in
sync by database triggers), which records are exact hits for a query (`exact`), and how a
hit is shown (`present`). Who may see what is not the searchable's business: the search
applies the shared visibility policy (`visible_records`) to every type.

    search.register(Searchable(type="lead", label=_("Leads"), model="sales.Lead",
                               index=IndexSpec(name="lead", table="sales_lead", ...),
                               present=lambda lead: Presentation(lead.name, ..., url)))

Register from the module's `AppConfig.ready()`; the next `migrate` builds the index.
"""

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.db.models import QuerySet

from funia.core.actor import Actor
from funia.core.visibility import visible_owner_q, visible_records
from funia.search.index import IndexSpec
from funia.search.query import SearchQuery


@dataclass(frozen=True)
class Presentation:
    title: str
    subtitle: str
    url: str


@dataclass(frozen=True)
class Searchable:
    type: str  # the API's `types` value, e.g. "contact"
    label: Any  # plural, for headings: _("Contacts")
    model: str  # "customers.Contact"
    index: IndexSpec
    present: Callable[[Any], Presentation]
    # Records that match the query exactly (a whole name, an email, a phone), as a queryset
    # of the model or ids; the search keeps only those the actor may see.
    exact: Callable[[Actor, SearchQuery], QuerySet | Iterable[int]] | None = None
    # The record's own text, when its document also holds related records' (a contact's
    # account): hits through the related text rank after the record's own in their tier.
    own_text: Callable[[Any], str] | None = None
    # What `present` reads besides the row: (queryset, actor) -> queryset with the
    # select_related / prefetch_related it needs (a constant number of queries per search).
    prepare: Callable[[QuerySet, Actor], QuerySet] | None = None
    order: int = 100

    @property
    def model_class(self):
        return apps.get_model(self.model)

    def visible(self, actor: Actor) -> QuerySet:
        """The records this actor may see: the shared policy, the same as lists and pages."""
        return visible_records(self.model_class, actor)

    def sees_all(self, actor: Actor) -> bool:
        """Does the policy let the actor see every live record of the tenant (as for
        records without an owner, or an administrator)? Then the index needs no check."""
        has_owner = any(f.name == "owner" for f in self.model_class._meta.fields)
        return not has_owner or visible_owner_q(actor) is None


_registry: dict[str, Searchable] = {}


def register(searchable: Searchable) -> Searchable:
    """Add (or replace, by type) a searchable record type."""
    if "__" in searchable.index.name:
        raise ValueError("An index name may not contain '__'.")
    _registry[searchable.type] = searchable
    return searchable


def searchables(types: Iterable[str] | None = None) -> list[Searchable]:
    """The registered types (all, or those named), in their display order."""
    chosen = [s for s in _registry.values() if types is None or s.type in set(types)]
    return sorted(chosen, key=lambda s: (s.order, s.type))


def registered_types() -> list[str]:
    return [s.type for s in searchables()]
