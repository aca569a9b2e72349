"""Navigation entries of territories and the territory section of the account card."""

from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy

from funia.customers import card
from funia.web.navigation import NavEntry, register

register(NavEntry(_lazy("Territory coverage"), "territory_coverage", "map", order=55))
register(NavEntry(_lazy("Territories"), "territory_list", "map", admin_only=True, order=952))

# Right after the account's contacts: where the account belongs and who works it.
ORDER_TERRITORY = card.ORDER_CONTACTS + 5


def account_territory(actor, account):
    """The account's territory and its reps; nothing when the organisation has none."""
    from funia.sales.territories.matching import active_territories, territory_of
    from funia.sales.territories.selectors import territory_get

    territories = active_territories(actor.tenant)
    if not territories:
        return []
    territory = territory_of(account, territories=territories)
    if territory is None:
        return [
            card.CardItem(
                title=_("No territory"),
                detail=_("No active territory's rules match this account."),
                url=f"{reverse('territory_coverage_accounts')}?territory=none",
            )
        ]
    territory = territory_get(actor=actor, pk=territory.pk)
    reps = ", ".join(str(link.user) for link in territory.rep_links)
    return [
        card.CardItem(
            id=territory.pk,
            title=territory.name,
            detail=_("Reps: %(reps)s") % {"reps": reps} if reps else _("No reps yet"),
            url=f"{reverse('territory_coverage_accounts')}?territory={territory.pk}",
        )
    ]


card.register_section(
    "territory",
    _lazy("Territory"),
    account_territory,
    ORDER_TERRITORY,
    record_types=[card.ACCOUNT],
)
