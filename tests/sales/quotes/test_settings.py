"""The organisation's document settings on its settings page: the discount limit, the
details printed on quotes and the logo (PNG, JPEG or WebP up to 2 MB, served only to the
organisation's members)."""

import io
import os
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from PIL import Image

from funia.core.models import AuditEntry, Organization
from funia.sales.quotes.organisation import document_settings_update

URL = "/settings/organization/"


def image(kind="PNG", size=(60, 30)) -> bytes:
    data = io.BytesIO()
    Image.new("RGB", size, "teal").save(data, kind)
    return data.getvalue()


def form_data(org, **changes) -> dict:
    data = {
        "name": org.name,
        "currency": org.currency,
        "time_zone": org.time_zone,
        "language": org.language,
        "default_region": org.default_region,
        "merge_undo_days": org.merge_undo_days,
        "contact_window_days": org.contact_window_days,
        "quote_discount_limit": org.quote_discount_limit,
        "document_details": org.document_details,
    }
    return data | changes


@pytest.fixture
def settings_page(admin, web_as):
    return web_as(admin)


def test_the_settings_page_offers_the_document_settings(settings_page):
    html = settings_page.get(URL).content.decode()

    assert 'enctype="multipart/form-data"' in html
    assert 'name="quote_discount_limit"' in html
    assert 'name="document_details"' in html
    assert 'name="logo"' in html


def test_an_administrator_sets_the_limit_details_and_logo(settings_page, org):
    response = settings_page.post(
        URL,
        form_data(
            org,
            quote_discount_limit="12.5",
            document_details="Acme Sales Ltd\nVAT BG999",
            logo=SimpleUploadedFile("logo.png", image(), content_type="image/png"),
        ),
    )

    assert response.status_code == 302, response.content.decode()[:2000]
    org = Organization.objects.get(pk=org.pk)
    assert org.quote_discount_limit == Decimal("12.5")
    assert org.document_details == "Acme Sales Ltd\nVAT BG999"
    assert org.logo.name.startswith("logos/acme-") and org.logo.name.endswith(".png")
    entry = AuditEntry.objects.for_tenant(org).filter(object_type="core.organization").last()
    assert entry.changes["quote_discount_limit"] == ["15.00", "12.5"]


def test_the_logo_is_served_to_the_organisations_members(settings_page, org, rep, web_as):
    settings_page.post(
        URL, form_data(org, logo=SimpleUploadedFile("logo.png", image(), content_type="image/png"))
    )

    response = web_as(rep).get("/settings/organization/logo/")

    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content) == image()


def test_another_organisation_never_gets_the_logo(settings_page, org, outsider, web_as):
    settings_page.post(
        URL, form_data(org, logo=SimpleUploadedFile("logo.png", image(), content_type="image/png"))
    )

    assert web_as(outsider).get("/settings/organization/logo/").status_code == 404
    assert Client().get("/settings/organization/logo/").status_code == 302


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("logo.gif", image("GIF")),
        ("logo.png", b"not an image at all"),
    ],
)
def test_a_logo_that_is_not_png_jpeg_or_webp_is_refused(settings_page, org, name, content):
    response = settings_page.post(
        URL, form_data(org, logo=SimpleUploadedFile(name, content, content_type="image/png"))
    )

    assert response.status_code == 200
    assert 'id="id_logo_error"' in response.content.decode()
    assert not Organization.objects.get(pk=org.pk).logo


def test_a_logo_above_2_mb_is_refused(admin, org):
    noise = Image.frombytes("RGB", (1000, 1000), os.urandom(3_000_000))
    data = io.BytesIO()
    noise.save(data, "PNG")
    assert data.tell() > 2 * 1024 * 1024

    with pytest.raises(ValidationError) as refused:
        document_settings_update(
            by=admin, fields={"logo": SimpleUploadedFile("big.png", data.getvalue())}
        )

    assert refused.value.message_dict == {"logo": ["The logo is larger than 2 MB."]}


def test_a_discount_limit_above_100_is_refused(settings_page, org):
    response = settings_page.post(URL, form_data(org, quote_discount_limit="150"))

    assert response.status_code == 200
    assert Organization.objects.get(pk=org.pk).quote_discount_limit == Decimal(15)


def test_only_administrators_change_the_document_settings(rep, web_as, org):
    response = web_as(rep).post(URL, form_data(org, quote_discount_limit="90"))

    assert response.status_code == 403
    assert Organization.objects.get(pk=org.pk).quote_discount_limit == Decimal(15)
