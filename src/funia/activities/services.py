"""Writes of activities and outreach purposes: validated, audited, versioned.

Activities take keyword fields with references as ids (`owner_id`, `purpose_id`,
`lead_id`, `contact_id`, `account_id`, `opportunity_id`, `follow_up_of_id`). Rules:

- Calls, meetings, emails and visits reach out to someone: they need a link (a lead, a
  contact, an account or an opportunity). Tasks and notes may stand alone (a personal to-do
  or memo); they may still be linked.
- Every reference must be a record of the organisation that the actor may see.
- A contact implies its account when no account is given; an opportunity implies its
  account when neither an account nor a contact is given.
- Outreach needs a purpose as soon as the organisation has an active purpose; a new or
  changed purpose must be active (an activity keeps a purpose deactivated later).
- The owner defaults to the creator; the department (`team`) is the owner's first team by
  name, taken when the activity is created and again when its owner changes.
- Outreach is checked by the contact registry (`registry.py`) whenever its kind, purpose,
  owner, customer or time changes; the conflicts found are stored and returned on the
  activity (`activity.found_conflicts`).
- A set or changed `remind_at` schedules the reminder after the transaction commits.
"""

from datetime import datetime

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from funia.activities import registry
from funia.activities.models import OUTREACH_KINDS, Activity, ActivityKind, ActivityPurpose
from funia.core.actor import Actor
from funia.core.models import Team
from funia.core.records import (
    record_create,
    record_restore,
    record_soft_delete,
    record_update,
)
from funia.core.services import check_owner
from funia.core.visibility import require_admin, require_change, require_writer, visible_records
from funia.customers.models import Account, Contact

STANDALONE_KINDS = frozenset({ActivityKind.TASK, ActivityKind.NOTE})
LINKS = ("lead_id", "contact_id", "account_id", "opportunity_id")
TEXT_FIELDS = ("subject", "description", "outcome", "location")
MAX_DURATION = 60 * 24 * 7  # a week, in minutes
# Changes that make the registry look again.
REGISTRY_FIELDS = frozenset(
    {"kind", "purpose_id", "owner_id", "due_at", "done_at", *LINKS, "deleted_at"}
)


def _link_models() -> dict:
    from funia.sales.models import Lead, Opportunity

    return {
        "lead_id": ("lead", Lead),
        "contact_id": ("contact", Contact),
        "account_id": ("account", Account),
        "opportunity_id": ("opportunity", Opportunity),
    }


def owner_team(tenant, user_id: int | None) -> Team | None:
    """The user's department: their first team by name."""
    if user_id is None:
        return None
    return (
        Team.objects.for_tenant(tenant)
        .filter(teammember__user_id=user_id)
        .order_by("name", "id")
        .first()
    )


def has_active_purposes(tenant) -> bool:
    return ActivityPurpose.objects.for_tenant(tenant).filter(is_active=True).exists()


def _default_subject(kind: str, data: dict, by: Actor) -> str:
    label = str(ActivityKind(kind).label) if kind in ActivityKind.values else _("Activity")
    contact_id, account_id = data.get("contact_id"), data.get("account_id")
    name = ""
    if contact_id:
        contact = visible_records(Contact, by).filter(pk=contact_id).first()
        name = str(contact) if contact else ""
    elif account_id:
        account = visible_records(Account, by).filter(pk=account_id).first()
        name = account.name if account else ""
    return f"{label}: {name}"[:200] if name else label


def _prepare(by: Actor, data: dict, current: Activity | None) -> dict:
    """Validate and complete the fields; one ValidationError naming every bad field."""
    data = dict(data)
    errors: dict = {}
    tenant = by.tenant
    for name in TEXT_FIELDS:
        if name in data:
            data[name] = str(data[name] or "").strip()
    if data.get("subject"):
        data["subject"] = " ".join(data["subject"].split())

    def final(name):
        return data[name] if name in data else getattr(current, name, None)

    kind = final("kind")
    if kind not in ActivityKind.values:
        errors["kind"] = _("Choose a kind: call, meeting, email, task, note or visit.")
    if "owner_id" in data:
        owner_id = data["owner_id"]
        if owner_id is None:
            if current is None:
                data["owner_id"] = by.user.pk
        else:
            check_owner(tenant, owner_id, errors, active_only=True)

    models = _link_models()
    found = {}
    for field, (name, model) in models.items():
        pk = data.get(field)
        if field in data and pk is not None:
            record = visible_records(model, by).filter(pk=pk).first()
            if record is None:
                errors[name] = _("No such %(model)s.") % {"model": model._meta.verbose_name}
            else:
                found[name] = record
    if "contact" in found and "account_id" not in data:
        data["account_id"] = found["contact"].account_id
    if (
        "opportunity" in found
        and final("account_id") is None
        and final("contact_id") is None
        and found["opportunity"].account_id is not None
    ):
        data["account_id"] = found["opportunity"].account_id
    if data.get("follow_up_of_id") is not None:
        earlier = visible_records(Activity, by).filter(pk=data["follow_up_of_id"]).first()
        if earlier is None or (current is not None and earlier.pk == current.pk):
            errors["follow_up_of"] = _("No such activity.")

    linked = any(final(name) for name in LINKS)
    if kind in ActivityKind.values and kind not in STANDALONE_KINDS and not linked:
        errors.setdefault(
            "contact",
            _("A %(kind)s needs a customer: link a contact, an account, a lead or a deal.")
            % {"kind": str(ActivityKind(kind).label).lower()},
        )

    purpose_id = final("purpose_id")
    if "purpose_id" in data and purpose_id is not None:
        purpose = ActivityPurpose.objects.for_tenant(tenant).filter(pk=purpose_id).first()
        unchanged = current is not None and current.purpose_id == purpose_id
        if purpose is None:
            errors["purpose"] = _("No such purpose.")
        elif not purpose.is_active and not unchanged:
            errors["purpose"] = _("This purpose is no longer in use; choose another.")
    if (
        kind in OUTREACH_KINDS
        and purpose_id is None
        and "purpose" not in errors
        and has_active_purposes(tenant)
    ):
        errors["purpose"] = _("Say why you contact the customer: choose a purpose.")

    duration = data.get("duration_minutes")
    if duration is not None and not (0 <= duration <= MAX_DURATION):
        errors["duration_minutes"] = _("Give a duration between 0 and %(n)d minutes.") % {
            "n": MAX_DURATION
        }
    for name in ("due_at", "done_at", "remind_at"):
        value = data.get(name)
        if isinstance(value, datetime) and timezone.is_naive(value):
            data[name] = timezone.make_aware(value)
    if errors:
        raise ValidationError(errors)

    if not final("subject") and kind in ActivityKind.values:
        data["subject"] = _default_subject(kind, {n: final(n) for n in LINKS}, by)
    if "owner_id" in data and (current is None or data["owner_id"] != current.owner_id):
        data["team"] = owner_team(tenant, data["owner_id"])
    if current is not None and "remind_at" in data and data["remind_at"] != current.remind_at:
        data["reminded_at"] = None
    return data


def _after_write(activity: Activity, *, registry_changed: bool, remind_changed: bool) -> None:
    """The registry check and the reminder, inside the write's transaction."""
    if registry_changed:
        if activity.is_deleted or activity.kind not in OUTREACH_KINDS:
            registry.clear_conflicts(activity)
            activity.found_conflicts = []
        else:
            activity.found_conflicts = registry.record_conflicts(activity)
    if remind_changed and activity.remind_at is not None:
        _schedule_reminder_on_commit(activity)


def _schedule_reminder_on_commit(activity: Activity) -> None:
    from funia.activities import reminders

    schedule = getattr(reminders, "schedule_reminder", None)
    if schedule is not None:
        transaction.on_commit(lambda: schedule(activity))


def activity_create(*, by: Actor, **fields) -> Activity:
    """Plan or log an activity; the creator owns it unless an owner is given."""
    require_writer(by)
    fields.setdefault("owner_id", by.user.pk)
    if fields.get("owner_id") is None:
        fields["owner_id"] = by.user.pk
    data = _prepare(by, fields, None)
    data.setdefault("team", owner_team(by.tenant, data["owner_id"]))
    with transaction.atomic():
        activity = record_create(model=Activity, by=by, **data)
        _after_write(activity, registry_changed=True, remind_changed=activity.remind_at is not None)
    return activity


def activity_update(
    *, by: Actor, activity: Activity, fields: dict, if_match: str | None = None
) -> Activity:
    require_change(by, activity)
    data = _prepare(by, fields, activity)
    with transaction.atomic():
        before = {name: getattr(activity, name) for name in REGISTRY_FIELDS | {"remind_at"}}
        updated = record_update(obj=activity, by=by, fields=data, if_match=if_match)
        changed = {name for name, old in before.items() if getattr(updated, name) != old}
        _after_write(
            updated,
            registry_changed=bool(changed & REGISTRY_FIELDS),
            remind_changed="remind_at" in changed,
        )
    if not hasattr(updated, "found_conflicts"):
        updated.found_conflicts = None  # unchanged: the stored conflicts still hold
    return updated


def activity_complete(
    *,
    by: Actor,
    activity: Activity,
    outcome: str | None = None,
    done_at: datetime | None = None,
    duration_minutes: int | None = None,
    follow_up: dict | None = None,
    if_match: str | None = None,
) -> tuple[Activity, Activity | None]:
    """Mark the activity done (now, unless `done_at` is given) with its outcome; with
    `follow_up` ({kind, subject, due_at, purpose_id, owner_id, description}, each optional)
    create the next activity, linked to the same customer, lead and deal."""
    require_change(by, activity)
    if activity.is_deleted:
        raise ValidationError(_("Restore this activity from the trash first."))
    fields: dict = {"done_at": done_at or timezone.now()}
    if outcome is not None:
        fields["outcome"] = outcome
    if duration_minutes is not None:
        fields["duration_minutes"] = duration_minutes
    with transaction.atomic():
        done = activity_update(by=by, activity=activity, fields=fields, if_match=if_match)
        next_activity = None
        if follow_up is not None:
            follow = {k: v for k, v in follow_up.items() if v not in (None, "")}
            follow.setdefault("kind", done.kind)
            follow.setdefault("owner_id", done.owner_id or by.user.pk)
            follow.setdefault("subject", _("Follow-up: %(subject)s") % {"subject": done.subject})
            if "purpose_id" not in follow and done.purpose_id is not None:
                purpose = ActivityPurpose.objects.for_tenant(by.tenant).get(pk=done.purpose_id)
                if purpose.is_active:
                    follow["purpose_id"] = purpose.pk
            follow["subject"] = str(follow["subject"])[:200]
            try:
                next_activity = activity_create(
                    by=by,
                    follow_up_of_id=done.pk,
                    lead_id=done.lead_id,
                    contact_id=done.contact_id,
                    account_id=done.account_id,
                    opportunity_id=done.opportunity_id,
                    **follow,
                )
            except ValidationError as exc:
                raise ValidationError(
                    {f"follow_up.{k}": v for k, v in exc.message_dict.items()}
                ) from None
    return done, next_activity


def activity_delete(*, by: Actor, activity: Activity, if_match: str | None = None) -> Activity:
    require_change(by, activity)
    return record_soft_delete(obj=activity, by=by, if_match=if_match)


def activity_restore(*, by: Actor, activity: Activity, if_match: str | None = None) -> Activity:
    require_change(by, activity)
    with transaction.atomic():
        restored = record_restore(obj=activity, by=by, if_match=if_match)
        _after_write(restored, registry_changed=True, remind_changed=False)
    return restored


# -- purposes (administrators) ---------------------------------------------------------------


def _purpose_prepare(by: Actor, data: dict, current: ActivityPurpose | None) -> dict:
    data = dict(data)
    if "name" in data:
        data["name"] = " ".join(str(data["name"] or "").split())
        if not data["name"]:
            raise ValidationError({"name": _("Give the purpose a name.")})
        clash = ActivityPurpose.objects.for_tenant(by.tenant).filter(name__iexact=data["name"])
        if current is not None:
            clash = clash.exclude(pk=current.pk)
        if clash.exists():
            raise ValidationError({"name": _("A purpose with this name exists already.")})
    for name in ("is_active",):
        if name in data and data[name] is None:
            data.pop(name)
    if "position" in data and data["position"] is None:
        data["position"] = 0
    return data


def activity_purpose_create(*, by: Actor, **fields) -> ActivityPurpose:
    require_admin(by)
    data = _purpose_prepare(by, fields, None)
    if "position" not in data:
        last = (
            ActivityPurpose.objects.for_tenant(by.tenant, with_deleted=True)
            .order_by("-position")
            .values_list("position", flat=True)
            .first()
        )
        data["position"] = (last or 0) + 1
    return record_create(model=ActivityPurpose, by=by, **data)


def activity_purpose_update(
    *, by: Actor, activity_purpose: ActivityPurpose, fields: dict, if_match: str | None = None
) -> ActivityPurpose:
    """Rename, reorder, deactivate (a purpose in use keeps its activities) or reactivate."""
    require_admin(by)
    data = _purpose_prepare(by, fields, activity_purpose)
    return record_update(obj=activity_purpose, by=by, fields=data, if_match=if_match)


def activity_purpose_delete(
    *, by: Actor, activity_purpose: ActivityPurpose, if_match: str | None = None
) -> ActivityPurpose:
    """To the trash; activities keep naming it, and it can be restored."""
    require_admin(by)
    return record_soft_delete(obj=activity_purpose, by=by, if_match=if_match)


def activity_purpose_restore(
    *, by: Actor, activity_purpose: ActivityPurpose, if_match: str | None = None
) -> ActivityPurpose:
    require_admin(by)
    clash = (
        ActivityPurpose.objects.for_tenant(by.tenant)
        .filter(name__iexact=activity_purpose.name)
        .exclude(pk=activity_purpose.pk)
    )
    if clash.exists():
        raise ValidationError(
            {"name": _("A purpose with this name exists already; rename one of them first.")}
        )
    return record_restore(obj=activity_purpose, by=by, if_match=if_match)


DEFAULT_PURPOSES = ("Offer", "Follow-up", "Collection", "Survey", "Support")


def default_purposes_create(tenant) -> list[ActivityPurpose]:
    """The default purposes (offer, follow-up, collection, survey, support) in the
    organisation's language; nothing when it has purposes already (trash included)."""
    from django.utils import translation

    if ActivityPurpose.objects.for_tenant(tenant, with_deleted=True).exists():
        return []
    with translation.override(tenant.language or "en"):
        names = [
            _("Offer"),
            _("Follow-up"),
            _("Collection"),
            _("Survey"),
            _("Support"),
        ]
    return ActivityPurpose.objects.bulk_create(
        [
            ActivityPurpose(tenant=tenant, name=str(name), position=index + 1)
            for index, name in enumerate(names)
        ]
    )
