"""The organisation's settings for its documents: the discount limit above which a quote
needs approval, the details printed on quotes, and the logo (PNG, JPEG or WebP, at most
2 MB), which is served only to the organisation's members."""

import secrets
from decimal import Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.http import FileResponse, Http404
from django.utils.translation import gettext as _
from PIL import Image, UnidentifiedImageError

from funia.core.actor import Actor
from funia.core.audit import AuditAction
from funia.core.models import AuditEntry, Organization
from funia.core.visibility import require_admin
from funia.sales.quotes.documents import LOGO_TYPES
from funia.web.decorators import member_required

DOCUMENT_SETTINGS = ("quote_discount_limit", "document_details", "logo")
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_EXTENSIONS = {"PNG": "png", "JPEG": "jpg", "WEBP": "webp"}


def check_logo(upload: UploadedFile) -> str:
    """The image format of an uploaded logo (PNG, JPEG or WebP up to 2 MB), else a field
    error."""
    if upload.size > LOGO_MAX_BYTES:
        raise ValidationError({"logo": _("The logo is larger than 2 MB.")})
    try:
        upload.seek(0)
        with Image.open(upload) as image:
            kind = image.format
            image.verify()
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        kind = None
    finally:
        upload.seek(0)
    if kind not in LOGO_TYPES:
        raise ValidationError({"logo": _("Upload the logo as a PNG, JPEG or WebP image.")})
    return kind


def document_settings_update(*, by: Actor, fields: dict) -> Organization:
    """Change the discount limit, the document details and/or the logo (administrators).

    `logo` is an uploaded file to store, False to remove the logo, or None to keep it.
    Audited like the organisation's other settings."""
    require_admin(by)
    unknown = set(fields) - set(DOCUMENT_SETTINGS)
    if unknown:
        raise ValidationError({name: _("This setting cannot be changed.") for name in unknown})
    errors, values = {}, {}
    if "quote_discount_limit" in fields:
        try:
            limit = Decimal(str(fields["quote_discount_limit"]))
        except (InvalidOperation, TypeError, ValueError):
            limit = None
        if limit is None or not limit.is_finite() or not Decimal(0) <= limit <= Decimal(100):
            errors["quote_discount_limit"] = _("Give a percentage between 0 and 100.")
        else:
            values["quote_discount_limit"] = limit
    if "document_details" in fields:
        values["document_details"] = str(fields["document_details"] or "")[:5000]
    upload, kind = fields.get("logo"), None
    if isinstance(upload, UploadedFile):
        try:
            kind = check_logo(upload)
        except ValidationError as exc:
            errors |= exc.message_dict
    if errors:
        raise ValidationError(errors)
    with transaction.atomic():
        org = Organization.objects.select_for_update().get(pk=by.tenant.pk)
        before = {name: getattr(org, name) for name in ("quote_discount_limit", "document_details")}
        old_logo = org.logo.name or ""
        for name, value in values.items():
            setattr(org, name, value)
        if kind is not None:
            name = f"{org.slug}-{secrets.token_hex(6)}.{LOGO_EXTENSIONS[kind]}"
            org.logo.save(name, upload, save=False)
        elif upload is False:
            org.logo = ""
        org.full_clean()
        org.save()
        changes = {
            name: [str(old), str(getattr(org, name))]
            for name, old in before.items()
            if old != getattr(org, name)
        }
        if (org.logo.name or "") != old_logo:
            changes["logo"] = [old_logo, org.logo.name or ""]
        if changes:
            AuditEntry.objects.create(
                tenant=org,
                object_type="core.organization",
                object_id=org.pk,
                object_repr=org.name[:200],
                action=AuditAction.UPDATE,
                changes=changes,
                user=by.user,
                token=by.token,
            )
    for name in DOCUMENT_SETTINGS:
        setattr(by.tenant, name, getattr(org, name))
    return org


@member_required
def organization_logo(request):
    """The organisation's own logo, for its members (never another organisation's)."""
    organisation = request.actor.tenant
    if not organisation.logo:
        raise Http404
    kind = organisation.logo.name.rsplit(".", 1)[-1].lower()
    media_type = {"png": "image/png", "jpg": "image/jpeg", "jpeg": "image/jpeg"}.get(
        kind, "image/webp"
    )
    try:
        handle = organisation.logo.open("rb")
    except OSError as exc:
        raise Http404 from exc
    response = FileResponse(handle, content_type=media_type)
    response["Cache-Control"] = "private, max-age=300"
    response["X-Content-Type-Options"] = "nosniff"
    return response
