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


def with_logo(settings_page, org):
    settings_page.post(
        URL, form_data(org, logo=SimpleUploadedFile("logo.png", image(), content_type="image/png"))
    )
    return Organization.objects.get(pk=org.pk)


def test_the_logo_field_is_a_plain_file_input_with_the_served_preview(settings_page, org):
    org = with_logo(settings_page, org)

    html = settings_page.get(URL).content.decode()

    assert "Currently" not in html
    assert org.logo.name not in html  # no link to a media URL that is not served
    assert 'type="file" name="logo"' in html
    assert '<img src="/settings/organization/logo/"' in html
    assert 'name="remove_logo"' in html
    assert "Remove the logo" in html


def test_without_a_logo_there_is_nothing_to_remove_or_preview(settings_page):
    html = settings_page.get(URL).content.decode()

    assert 'name="remove_logo"' not in html
    assert "/settings/organization/logo/" not in html


def test_removing_the_logo_clears_it(settings_page, org):
    with_logo(settings_page, org)

    response = settings_page.post(URL, form_data(org, remove_logo="on"))

    assert response.status_code == 302
    assert not Organization.objects.get(pk=org.pk).logo
    assert settings_page.get("/settings/organization/logo/").status_code == 404


def test_saving_other_settings_keeps_the_logo(settings_page, org):
    name = with_logo(settings_page, org).logo.name

    settings_page.post(URL, form_data(org, document_details="New details"))

    assert Organization.objects.get(pk=org.pk).logo.name == name


def test_uploading_and_removing_at_once_is_refused_and_keeps_the_logo(settings_page, org):
    name = with_logo(settings_page, org).logo.name

    response = settings_page.post(
        URL,
        form_data(
            org,
            remove_logo="on",
            logo=SimpleUploadedFile("new.png", image(size=(10, 10)), content_type="image/png"),
        ),
    )

    assert response.status_code == 200
    assert "Upload a new logo or remove the logo, not both." in response.content.decode()
    assert Organization.objects.get(pk=org.pk).logo.name == name
