"""Which territory an account (or a lead) belongs to.

An account belongs to the first active territory, by position then id, whose rules it
matches; nothing is stored on the account, so the answer is always current. A rule left
empty matches anything: countries (ISO codes) and regions and industries are compared
case-insensitively; the size rule keeps `employees` within [min_employees, max_employees],
and an account whose size is unknown matches only a territory without size bounds.

The same rules exist twice, once in Python (`territory_for`, `territory_of`: one query for
the territory list, then no query per account) and once as SQL conditions (`territory_q`,
`no_territory_q`, `territory_case`) over the account's fields, optionally through a
relation (`prefix="account__"` for deals), so lists and reports never load accounts to
classify them.

SQLite folds the case of ASCII letters only; for text in other scripts the SQL conditions
also accept the usual capitalisations of each rule value ("София", "СОФИЯ", "софия").
"""

from django.db.models import BigIntegerField, Case, Q, Value, When

from funia.sales.models import Territory

# The "no territory" row of the reports and its key in URLs.
NO_TERRITORY = "none"


def active_territories(tenant) -> list[Territory]:
    """The organisation's live, active territories in the order they are tried."""
    return list(
        Territory.objects.for_tenant(tenant).filter(is_active=True).order_by("position", "id")
    )


def _key(value) -> str:
    return str(value or "").strip().casefold()


def matches(territory: Territory, *, country="", region="", industry="", employees=None) -> bool:
    """Do these account (or lead) fields fit the territory's rules (empty rule = any)?"""
    for values, value in (
        (territory.countries, country),
        (territory.regions, region),
        (territory.industries, industry),
    ):
        wanted = {_key(v) for v in values or [] if _key(v)}
        if wanted and _key(value) not in wanted:
            return False
    low, high = territory.min_employees, territory.max_employees
    if low is None and high is None:
        return True
    if employees is None:
        return False
    return (low is None or employees >= low) and (high is None or employees <= high)


def territory_for(
    tenant,
    *,
    country="",
    region="",
    industry="",
    employees=None,
    territories: list[Territory] | None = None,
) -> Territory | None:
    """The territory of an account or a lead described by its fields, or None."""
    if territories is None:
        territories = active_territories(tenant)
    for territory in territories:
        if matches(
            territory, country=country, region=region, industry=industry, employees=employees
        ):
            return territory
    return None


def territory_of(account, *, territories: list[Territory] | None = None) -> Territory | None:
    """The territory an account belongs to now, or None."""
    return territory_for(
        account.tenant_id,
        country=account.country,
        region=account.region,
        industry=account.industry,
        employees=account.employees,
        territories=territories,
    )


# -- the same rules in SQL ----------------------------------------------------------------


def _text_q(field: str, values) -> Q | None:
    condition = None
    for value in values or []:
        text = str(value or "").strip()
        if not text:
            continue
        part = Q(**{f"{field}__iexact": text})
        if not text.isascii():
            variants = {text, text.lower(), text.upper(), text.title(), text.capitalize()}
            part |= Q(**{f"{field}__in": sorted(variants)})
        condition = part if condition is None else condition | part
    return condition


def rules_q(territory: Territory, *, prefix: str = "") -> Q | None:
    """The territory's own rules over the account fields (no exclusivity); None when it has
    no rule at all (it matches every account)."""
    parts = [
        _text_q(f"{prefix}country", territory.countries),
        _text_q(f"{prefix}region", territory.regions),
        _text_q(f"{prefix}industry", territory.industries),
    ]
    if territory.min_employees is not None:
        parts.append(Q(**{f"{prefix}employees__gte": territory.min_employees}))
    if territory.max_employees is not None:
        parts.append(Q(**{f"{prefix}employees__lte": territory.max_employees}))
    condition = None
    for part in parts:
        if part is not None:
            condition = part if condition is None else condition & part
    return condition


def _nothing() -> Q:
    # Always false, yet real SQL (an empty IN cannot be compiled into a raw subquery).
    return Q(pk__isnull=True)


def _live_account(prefix: str) -> Q:
    """Through a relation the account must exist and be live; an account queryset is
    scoped by its caller."""
    if not prefix:
        return Q()
    relation = prefix.removesuffix("__")
    return Q(**{f"{relation}__isnull": False, f"{prefix}deleted_at__isnull": True})


def territory_q(
    tenant, territory: Territory, *, prefix: str = "", territories: list[Territory] | None = None
) -> Q:
    """Accounts (or, with a prefix, records of accounts) in the territory: its rules match
    and no earlier active territory's do. An inactive or trashed territory has none."""
    if territories is None:
        territories = active_territories(tenant)
    earlier = []
    for candidate in territories:
        if candidate.pk == territory.pk:
            break
        earlier.append(candidate)
    else:
        return _nothing()
    condition = _live_account(prefix)
    own = rules_q(territory, prefix=prefix)
    if own is not None:
        condition &= own
    for other in earlier:
        theirs = rules_q(other, prefix=prefix)
        if theirs is None:  # an earlier territory without rules takes every account
            return _nothing()
        condition &= ~theirs
    return condition


def no_territory_q(tenant, *, prefix: str = "", territories: list[Territory] | None = None) -> Q:
    """Accounts (or records of accounts) that no active territory takes."""
    if territories is None:
        territories = active_territories(tenant)
    condition = _live_account(prefix)
    for territory in territories:
        rules = rules_q(territory, prefix=prefix)
        if rules is None:
            return _nothing()
        condition &= ~rules
    return condition


def territory_case(tenant, *, prefix: str = "", territories: list[Territory] | None = None) -> Case:
    """An expression of the territory id of each account (or record of an account), NULL
    for none: the first territory whose rules match, as `territory_q` decides."""
    if territories is None:
        territories = active_territories(tenant)
    whens = []
    if prefix:
        relation = prefix.removesuffix("__")
        whens.append(
            When(
                Q(**{f"{relation}__isnull": True}) | Q(**{f"{prefix}deleted_at__isnull": False}),
                then=Value(None, output_field=BigIntegerField()),
            )
        )
    default = Value(None, output_field=BigIntegerField())
    for territory in territories:
        rules = rules_q(territory, prefix=prefix)
        if rules is None:
            default = Value(territory.pk, output_field=BigIntegerField())
            break
        whens.append(When(rules, then=Value(territory.pk, output_field=BigIntegerField())))
    return Case(*whens, default=default, output_field=BigIntegerField())
