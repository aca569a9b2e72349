"""Writes of quotas (sales targets): create, update, delete, restore, and "set" (create or
update by rep/team and period) one at a time or in bulk. Each write is one transaction,
versioned and audited through `funia.core.records`.

A quota belongs to exactly one rep (`user_id`, an active member) or one team (`team_id`),
for one calendar month, quarter or year starting on `start` (its first day); `amount` is
in the organisation's currency. One live quota per rep or team and period: a second one is
refused with `DuplicateQuota` (the API answers 409). Who may set which quota: see
`funia.sales.quotas.selectors` (admins any; sales managers their teams and members).
The rep or team and the period of a quota never change: an update changes the amount and
the note.
"""

import datetime
from decimal import Decimal, InvalidOperation

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Membership, Team
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.sales.models import Quota
from funia.sales.quotas.selectors import write_scope

CENT = Decimal("0.01")
MONEY_LIMIT = Decimal(10) ** 16
FIRST_YEAR, LAST_YEAR = 1900, 2999
BULK_LIMIT = 500
UPDATABLE = ("amount", "note")


class DuplicateQuota(ValidationError):
    """A live quota for the same rep or team and period exists: `existing` is it."""

    def __init__(self, existing: Quota):
        who = _("this rep") if existing.user_id is not None else _("this team")
        super().__init__(
            {
                "start": _(
                    "There is already a quota for %(who)s and %(period)s; change its amount "
                    "instead."
                )
                % {"who": who, "period": periods.period_label(existing.period, existing.start)}
            }
        )
        self.existing = existing


def _refuse(message: str | None = None):
    raise PermissionDenied(
        message
        or _(
            "You may set the quotas of the teams you manage and of their members only "
            "(administrators set any quota)."
        )
    )


def require_quota_writer(by: Actor) -> None:
    """Refuse (403) a user who may set no quota at all."""
    if write_scope(by).empty:
        _refuse(_("Only administrators and sales managers set quotas."))


def clean_amount(value, errors: dict, field: str = "amount") -> Decimal | None:
    """A money amount: a number >= 0 below 10^16 with at most two decimals."""
    if value is None or value == "":
        errors[field] = _("Give an amount.")
        return None
    try:
        amount = Decimal(str(value).strip().replace(" ", "").replace("\u00a0", ""))
    except (InvalidOperation, ValueError):
        errors[field] = _("Enter a number, e.g. 12500 or 12500.50.")
        return None
    if not amount.is_finite():
        errors[field] = _("Enter a number, e.g. 12500 or 12500.50.")
    elif amount < 0:
        errors[field] = _("An amount cannot be negative.")
    elif amount >= MONEY_LIMIT:
        errors[field] = _("An amount must be below 10^16.")
    elif amount != amount.quantize(CENT):
        errors[field] = _("An amount has at most two decimals.")
    else:
        return amount.quantize(CENT)
    return None


def _clean_period(kind, start, errors: dict) -> None:
    if kind not in periods.KINDS:
        errors["period"] = _("Choose month, quarter or year.")
        return
    if not isinstance(start, datetime.date):
        errors["start"] = _("Give the first day of the period (YYYY-MM-DD).")
        return
    if not FIRST_YEAR <= start.year <= LAST_YEAR:
        errors["start"] = _("Choose a period between %(first)d and %(last)d.") % {
            "first": FIRST_YEAR,
            "last": LAST_YEAR,
        }
    elif not periods.is_period_start(kind, start):
        errors["start"] = _("A period starts on its first day: for %(period)s give %(start)s.") % {
            "period": periods.period_label(kind, periods.period_start(kind, start)),
            "start": periods.period_start(kind, start).isoformat(),
        }


def _clean_subject(by: Actor, user_id, team_id, errors: dict) -> None:
    if user_id is not None and team_id is not None:
        errors["team"] = _("A quota is for a rep or for a team, not both.")
    elif user_id is None and team_id is None:
        errors["user"] = _("Choose the rep (user) or the team responsible for the quota.")
    elif user_id is not None:
        active = Membership.objects.for_tenant(by.tenant).filter(user_id=user_id, is_active=True)
        if not active.exists():
            errors["user"] = _("The rep must be an active user of this organisation.")
    elif not Team.objects.for_tenant(by.tenant).filter(pk=team_id).exists():
        errors["team"] = _("No such team in this organisation.")


def _check_may_set(by: Actor, *, user_id, team_id) -> None:
    scope = write_scope(by)
    if scope.empty:
        _refuse(_("Only administrators and sales managers set quotas."))
    if not scope.allows(user_id=user_id, team_id=team_id):
        if user_id == by.user.pk:
            _refuse(_("Your own quota is set by an administrator."))
        _refuse()


def _live_twin(by: Actor, *, user_id, team_id, kind, start, exclude: int | None = None):
    qs = Quota.objects.for_tenant(by.tenant).filter(
        user_id=user_id, team_id=team_id, period=kind, start=start
    )
    if exclude is not None:
        qs = qs.exclude(pk=exclude)
    return qs.first()


def quota_create(
    *,
    by: Actor,
    period: str,
    start: datetime.date,
    amount,
    user_id: int | None = None,
    team_id: int | None = None,
    note: str = "",
) -> Quota:
    """Set a new quota; refused (DuplicateQuota) when the rep or team has one for the period."""
    require_quota_writer(by)
    errors: dict = {}
    _clean_subject(by, user_id, team_id, errors)
    _clean_period(period, start, errors)
    amount = clean_amount(amount, errors)
    if errors:
        raise ValidationError(errors)
    _check_may_set(by, user_id=user_id, team_id=team_id)
    twin = _live_twin(by, user_id=user_id, team_id=team_id, kind=period, start=start)
    if twin is not None:
        raise DuplicateQuota(twin)
    try:
        with transaction.atomic():
            return record_create(
                model=Quota,
                by=by,
                user_id=user_id,
                team_id=team_id,
                period=period,
                start=start,
                amount=amount,
                note=(note or "").strip(),
            )
    except IntegrityError:  # a concurrent request set it first
        twin = _live_twin(by, user_id=user_id, team_id=team_id, kind=period, start=start)
        if twin is None:
            raise
        raise DuplicateQuota(twin) from None


def quota_update(*, by: Actor, quota: Quota, fields: dict, if_match: str | None = None) -> Quota:
    """Change the amount and/or the note of a quota (honours If-Match)."""
    require_quota_writer(by)
    unknown = set(fields) - set(UPDATABLE)
    if unknown:
        raise ValidationError(
            {
                name: _("The rep, team and period of a quota do not change; set a new quota.")
                for name in sorted(unknown)
            }
        )
    errors: dict = {}
    changes = {}
    if "amount" in fields:
        changes["amount"] = clean_amount(fields["amount"], errors)
    if "note" in fields:
        changes["note"] = (fields["note"] or "").strip()
    if errors:
        raise ValidationError(errors)
    _check_may_set(by, user_id=quota.user_id, team_id=quota.team_id)
    return record_update(obj=quota, by=by, fields=changes, if_match=if_match)


def quota_delete(*, by: Actor, quota: Quota, if_match: str | None = None) -> Quota:
    require_quota_writer(by)
    _check_may_set(by, user_id=quota.user_id, team_id=quota.team_id)
    return record_soft_delete(obj=quota, by=by, if_match=if_match)


def quota_restore(*, by: Actor, quota: Quota, if_match: str | None = None) -> Quota:
    """Bring a quota back from the trash, unless another one took its place meanwhile."""
    require_quota_writer(by)
    _check_may_set(by, user_id=quota.user_id, team_id=quota.team_id)
    twin = _live_twin(
        by,
        user_id=quota.user_id,
        team_id=quota.team_id,
        kind=quota.period,
        start=quota.start,
        exclude=quota.pk,
    )
    if twin is not None:
        raise DuplicateQuota(twin)
    return record_restore(obj=quota, by=by, if_match=if_match)


def quota_set(
    *,
    by: Actor,
    period: str,
    start: datetime.date,
    amount,
    user_id: int | None = None,
    team_id: int | None = None,
    note: str | None = None,
) -> tuple[Quota | None, str]:
    """Create or update the quota of a rep or team for a period; `amount` None removes it
    (to the trash). Returns (quota, "created" | "updated" | "unchanged" | "deleted" |
    "absent")."""
    require_quota_writer(by)
    errors: dict = {}
    _clean_subject(by, user_id, team_id, errors)
    _clean_period(period, start, errors)
    amount = None if amount is None or amount == "" else clean_amount(amount, errors)
    if errors:
        raise ValidationError(errors)
    _check_may_set(by, user_id=user_id, team_id=team_id)
    current = _live_twin(by, user_id=user_id, team_id=team_id, kind=period, start=start)
    if amount is None:
        if current is None:
            return None, "absent"
        return quota_delete(by=by, quota=current), "deleted"
    if current is None:
        quota = quota_create(
            by=by,
            user_id=user_id,
            team_id=team_id,
            period=period,
            start=start,
            amount=amount,
            note=note or "",
        )
        return quota, "created"
    fields = {"amount": amount} if note is None else {"amount": amount, "note": note}
    before = current.version
    quota = quota_update(by=by, quota=current, fields=fields)
    return quota, "updated" if quota.version != before else "unchanged"


def quota_bulk_set(*, by: Actor, rows: list[dict]) -> list[dict]:
    """`quota_set` for each row on its own (one refusal does not stop the others). Each row
    is {user_id | team_id, period, start, amount, note?}; the answer per row is {"index",
    "status" (created, updated, unchanged, deleted, absent or error), "id", "errors"}."""
    require_quota_writer(by)
    if len(rows) > BULK_LIMIT:
        raise ValidationError({"items": _("At most %(n)d rows at once.") % {"n": BULK_LIMIT}})
    results = []
    for index, row in enumerate(rows):
        try:
            quota, status = quota_set(by=by, **row)
        except PermissionDenied as exc:
            results.append(_failed(index, {"__all__": [str(exc)]}))
        except ValidationError as exc:
            results.append(_failed(index, error_messages(exc)))
        else:
            results.append(
                {
                    "index": index,
                    "status": status,
                    "id": quota.pk if quota is not None else None,
                    "errors": [],
                }
            )
    return results


def error_messages(exc: ValidationError) -> dict:
    """A ValidationError as {field: [messages]} ("__all__" for messages without a field)."""
    if hasattr(exc, "error_dict"):
        return exc.message_dict
    return {"__all__": exc.messages}


def _failed(index: int, messages: dict) -> dict:
    return {
        "index": index,
        "status": "error",
        "id": None,
        "errors": [
            {"field": field, "message": message}
            for field, items in messages.items()
            for message in items
        ],
    }
