"""The main navigation: each module adds its entries here (a registry, not if-chains)."""

from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class NavEntry:
    label: str
    url_name: str
    icon: str = ""
    admin_only: bool = False
    order: int = 100
    # When set, only members with one of these roles see the entry (e.g. manager reports).
    roles: frozenset[str] = frozenset()


_entries: list[NavEntry] = []


def register(entry: NavEntry) -> None:
    if entry not in _entries:
        _entries.append(entry)


def entries_for(actor) -> list[NavEntry]:
    visible = [
        e
        for e in _entries
        if (not e.admin_only or (actor and actor.is_admin))
        and (not e.roles or (actor and actor.role in e.roles))
    ]
    return sorted(visible, key=lambda e: e.order)


register(NavEntry(_("Home"), "home", "home", order=0))
register(NavEntry(_("Users"), "user_list", "users", admin_only=True, order=900))
register(NavEntry(_("Teams"), "team_list", "teams", order=910))
register(
    NavEntry(_("Organisation"), "organization_settings", "settings", admin_only=True, order=920)
)
