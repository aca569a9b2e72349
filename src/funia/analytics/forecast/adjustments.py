"""Writes of forecast adjustments: a manager's call on a rep's number for a month or a
quarter, replacing the computed amount of one category in the forecast.

Who may adjust whom: administrators any member of the organisation; sales managers the
members of the teams they manage; everyone else only reads. The one who writes is recorded
as `adjusted_by`. One live adjustment per rep, period, start and category: a second one is
refused (`AdjustmentExists`, 409 in the API) and the first is changed instead.
"""

import datetime
from decimal import Decimal

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError
from django.utils.translation import gettext as _

from funia.analytics.models import ForecastAdjustment
from funia.core import periods
from funia.core.actor import Actor
from funia.core.models import Membership, Role, Team, TeamMember
from funia.core.records import record_create, record_restore, record_soft_delete, record_update
from funia.core.visibility import require_writer
from funia.sales.models import ForecastCategory

PERIODS = (periods.MONTH, periods.QUARTER)
CATEGORIES = (ForecastCategory.COMMIT, ForecastCategory.BEST_CASE, ForecastCategory.PIPELINE)
FIELDS = ("user_id", "period", "start", "category", "amount", "note")
AMOUNT_LIMIT = Decimal(10) ** 16


class AdjustmentExists(ValidationError):
    """A live adjustment of the same rep, period and category exists (409 in the API)."""

    def __init__(self, existing: ForecastAdjustment):
        self.existing = existing
        super().__init__(
            {
                "category": _(
                    "There is already an adjustment of this rep's %(category)s for "
                    "%(period)s (id %(id)d); change that one instead."
                )
                % {
                    "category": existing.get_category_display().lower(),
                    "period": periods.period_label(existing.period, existing.start),
                    "id": existing.pk,
                }
            }
        )


def adjustable_user_ids(actor: Actor) -> set[int] | None:
    """Whose forecast the actor may adjust: None means any member (administrators); a
    manager the members of the teams they manage, never their own (as for quotas);
    nobody else."""
    if actor.role == Role.ADMIN:
        return None
    if actor.role != Role.SALES_MANAGER:
        return set()
    managed = Team.objects.for_tenant(actor.tenant).filter(manager=actor.user)
    return set(
        TeamMember.objects.for_tenant(actor.tenant)
        .filter(team__in=managed)
        .exclude(user=actor.user)
        .values_list("user_id", flat=True)
    )


def may_adjust(actor: Actor, user_id: int | None = None) -> bool:
    """May the actor adjust this rep's forecast (any rep's, without `user_id`)?"""
    allowed = adjustable_user_ids(actor)
    if allowed is None:
        return True
    return bool(allowed) if user_id is None else user_id in allowed


def _require_may_adjust(actor: Actor, user_id: int | None = None) -> None:
    """The role first (before anything is validated), then the rep when given."""
    require_writer(actor)
    if actor.role not in (Role.ADMIN, Role.SALES_MANAGER):
        raise PermissionDenied(_("Only administrators and sales managers adjust forecasts."))
    if user_id is None or actor.role == Role.ADMIN:
        return
    if user_id not in adjustable_user_ids(actor):
        raise PermissionDenied(
            _("A sales manager adjusts the forecasts of the members of the teams they manage.")
        )


def _clean(actor: Actor, data: dict) -> dict:
    """Validate the whole adjustment; field errors together."""
    errors: dict = {}
    user_id = data.get("user_id")
    if user_id is None:
        errors["user"] = _("Choose the rep.")
    elif not Membership.objects.for_tenant(actor.tenant).filter(user_id=user_id).exists():
        errors["user"] = _("The rep must be a user of this organisation.")
    period = data.get("period")
    if period not in PERIODS:
        errors["period"] = _("Choose month or quarter.")
    start = data.get("start")
    if not isinstance(start, datetime.date):
        errors["start"] = _("Give the first day of the period.")
    elif period in PERIODS and not periods.is_period_start(period, start):
        errors["start"] = (
            _("A month starts on its first day, e.g. %(day)s.")
            if period == periods.MONTH
            else _("A quarter starts on 1 January, 1 April, 1 July or 1 October, e.g. %(day)s.")
        ) % {"day": periods.period_start(period, start).isoformat()}
    if data.get("category") not in CATEGORIES:
        errors["category"] = _("Choose commit, best case or pipeline.")
    amount = data.get("amount")
    if amount is None:
        errors["amount"] = _("Give the amount.")
    else:
        try:
            amount = Decimal(amount)
        except (ArithmeticError, ValueError, TypeError):
            errors["amount"] = _("Give the amount as a number.")
        else:
            if not amount.is_finite() or amount < 0:
                errors["amount"] = _("An adjusted amount is zero or more.")
            elif amount >= AMOUNT_LIMIT or amount != amount.quantize(Decimal("0.01")):
                errors["amount"] = _("An amount must be below 10^16, with at most two decimals.")
            else:
                data["amount"] = amount.quantize(Decimal("0.01"))
    if len(data.get("note") or "") > 300:
        errors["note"] = _("At most 300 characters.")
    if errors:
        raise ValidationError(errors)
    data["note"] = (data.get("note") or "").strip()
    return data


def _check_unique(actor: Actor, data: dict, exclude_pk: int | None = None) -> None:
    existing = (
        ForecastAdjustment.objects.for_tenant(actor.tenant)
        .filter(
            user_id=data["user_id"],
            period=data["period"],
            start=data["start"],
            category=data["category"],
        )
        .exclude(pk=exclude_pk)
        .first()
    )
    if existing is not None:
        raise AdjustmentExists(existing)


def _saved(actor: Actor, data: dict, write):
    """Run the write; a concurrent twin that slipped past the check is the same conflict."""
    try:
        return write()
    except IntegrityError:
        _check_unique(actor, data)
        raise


def forecast_adjustment_create(*, by: Actor, **fields) -> ForecastAdjustment:
    """Record a manager's adjustment of a rep's category for a month or quarter."""
    data = {name: fields.get(name) for name in FIELDS}
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    _require_may_adjust(by)
    data = _clean(by, data)
    _require_may_adjust(by, data["user_id"])
    _check_unique(by, data)
    return _saved(
        by,
        data,
        lambda: record_create(model=ForecastAdjustment, by=by, adjusted_by_id=by.user.pk, **data),
    )


def forecast_adjustment_update(
    *,
    by: Actor,
    forecast_adjustment: ForecastAdjustment,
    fields: dict,
    if_match: str | None = None,
) -> ForecastAdjustment:
    """Change an adjustment (the writer becomes `adjusted_by`); moving it to another rep
    needs the right to adjust both."""
    unknown = set(fields) - set(FIELDS)
    if unknown:
        raise ValidationError({name: _("Unknown field.") for name in sorted(unknown)})
    _require_may_adjust(by, forecast_adjustment.user_id)
    data = {name: getattr(forecast_adjustment, name) for name in FIELDS}
    data.update({k: v for k, v in fields.items() if v is not None or k == "note"})
    data = _clean(by, data)
    if data["user_id"] != forecast_adjustment.user_id:
        _require_may_adjust(by, data["user_id"])
    _check_unique(by, data, exclude_pk=forecast_adjustment.pk)
    changes = {"adjusted_by_id": by.user.pk, **data}
    return _saved(
        by,
        data,
        lambda: record_update(obj=forecast_adjustment, by=by, fields=changes, if_match=if_match),
    )


def forecast_adjustment_delete(
    *, by: Actor, forecast_adjustment: ForecastAdjustment, if_match: str | None = None
) -> ForecastAdjustment:
    """Move an adjustment to the trash: the computed amount counts again."""
    _require_may_adjust(by, forecast_adjustment.user_id)
    return record_soft_delete(obj=forecast_adjustment, by=by, if_match=if_match)


def forecast_adjustment_restore(
    *, by: Actor, forecast_adjustment: ForecastAdjustment, if_match: str | None = None
) -> ForecastAdjustment:
    _require_may_adjust(by, forecast_adjustment.user_id)
    if forecast_adjustment.is_deleted:
        data = {name: getattr(forecast_adjustment, name) for name in FIELDS}
        _check_unique(by, data, exclude_pk=forecast_adjustment.pk)
    return _saved(
        by,
        {name: getattr(forecast_adjustment, name) for name in FIELDS},
        lambda: record_restore(obj=forecast_adjustment, by=by, if_match=if_match),
    )


def forecast_adjustment_set(
    *,
    by: Actor,
    user_id: int,
    period: str,
    start: datetime.date,
    category: str,
    amount: Decimal | None,
    note: str = "",
) -> ForecastAdjustment | None:
    """The inline form's write: set the rep's adjustment of the category for the period
    (create it, or change the live one); no amount removes it (to the trash)."""
    existing = (
        ForecastAdjustment.objects.for_tenant(by.tenant)
        .filter(user_id=user_id, period=period, start=start, category=category)
        .first()
    )
    if amount is None:
        if existing is None:
            return None
        return forecast_adjustment_delete(by=by, forecast_adjustment=existing)
    fields = {"amount": amount, "note": note}
    if existing is not None:
        return forecast_adjustment_update(by=by, forecast_adjustment=existing, fields=fields)
    return forecast_adjustment_create(
        by=by, user_id=user_id, period=period, start=start, category=category, **fields
    )
