"""Images and documents of a product: checked on upload, listed on the product, served
through the application to members of its organisation only, removed with their file."""

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from funia.sales.catalog import services
from funia.sales.catalog.models import ProductFile
from tests import factories
from tests.sales.catalog.helpers import PDF, PNG, docx, upload


def post_file(client, product_id: int, name: str, content: bytes, **form):
    return client.post(
        f"/api/v1/products/{product_id}/files",
        {"file": upload(name, content), **form},
        headers={"Authorization": f"Bearer {client.token}"},
    )


def content_of(response) -> bytes:
    return b"".join(response.streaming_content)


@pytest.fixture
def product(admin):
    return factories.product(admin, sku="CAR-1", name="Roadster")


def test_an_image_is_uploaded_listed_and_served_inline(api, product, media_in_tmp):
    response = post_file(api, product.pk, "front view.png", PNG)

    assert response.status_code == 201, response.content
    body = response.json()
    url = f"/api/v1/products/{product.pk}/files/{body['id']}"
    assert body | {"id": 0, "uploaded_at": ""} == {
        "id": 0,
        "kind": "image",
        "title": "front view",
        "url": url,
        "size": len(PNG),
        "content_type": "image/png",
        "uploaded_at": "",
    }
    listed = api.call("get", f"/products/{product.pk}").json()["files"]
    assert [f["url"] for f in listed] == [url]
    served = api.call("get", url)
    assert served.status_code == 200
    assert served["Content-Type"] == "image/png"
    assert served["Content-Disposition"].startswith("inline")
    assert content_of(served) == PNG
    stored = ProductFile.objects.for_tenant(product.tenant).get().file.name
    assert stored.startswith("products/") and "front" not in stored


def test_a_document_is_served_as_a_download_named_by_its_title(api, product):
    body = post_file(api, product.pk, "x.pdf", PDF, title="Brochure 2026").json()
    assert (body["kind"], body["title"]) == ("document", "Brochure 2026")
    served = api.call("get", body["url"].removeprefix("/api/v1"))
    assert served["Content-Type"] == "application/pdf"
    assert served["Content-Disposition"] == 'attachment; filename="Brochure 2026.pdf"'
    assert "sandbox" in served["Content-Security-Policy"]


def test_an_office_document_is_accepted(api, product):
    response = post_file(api, product.pk, "spec.docx", docx(), kind="document")
    assert response.status_code == 201, response.content


@pytest.mark.parametrize(
    ("name", "content", "form", "field", "message"),
    [
        (
            "page.html",
            b"<script>alert(1)</script>",
            {},
            "file",
            "Upload an image (PNG, JPEG, WebP or GIF) or a document (PDF, DOCX, XLSX, PPTX, "
            "TXT or ODT).",
        ),
        ("tool.exe", b"MZ\x90\x00", {}, "file", None),
        ("photo.png", b"<svg onload=alert(1)>", {}, "file", "The file is not a valid PNG file."),
        ("spec.docx", PDF, {}, "file", "The file is not a valid DOCX file."),
        ("notes.txt", b"a\x00b", {}, "file", "The file is not a valid TXT file."),
        ("empty.pdf", b"", {}, "file", None),
        (
            "brochure.pdf",
            PDF,
            {"kind": "image"},
            "kind",
            "Only PNG, JPEG, WebP and GIF files can be images.",
        ),
        ("photo.png", PNG, {"kind": "document"}, "kind", "A PNG file is an image, not a document."),
        ("photo.png", PNG, {"kind": "video"}, "kind", None),
    ],
)
def test_unacceptable_files_answer_422_with_a_clear_error(
    api, product, name, content, form, field, message
):
    response = post_file(api, product.pk, name, content, **form)
    assert response.status_code == 422, response.content
    errors = response.json()["errors"]
    assert field in {e["field"] for e in errors}, errors
    if message:
        assert message in {e["message"] for e in errors}, errors
    assert not ProductFile.objects.for_tenant(product.tenant).exists()


def test_a_file_over_10_mb_is_refused(api, product):
    big = b"%PDF-1.4\n" + b"0" * (10 * 1024 * 1024)
    response = post_file(api, product.pk, "huge.pdf", big)
    assert response.status_code == 422
    assert response.json()["errors"] == [
        {"field": "file", "message": "The file is 10.0 MB; the limit is 10 MB."}
    ]


def test_an_upload_without_a_file_is_refused(api, product):
    response = api.post(
        f"/api/v1/products/{product.pk}/files",
        {"title": "Nothing"},
        headers={"Authorization": f"Bearer {api.token}"},
    )
    assert response.status_code == 422
    assert response.json()["errors"] == [{"field": "file", "message": "Choose a file to upload."}]


def test_removing_a_file_deletes_the_stored_file(
    api, admin, product, django_capture_on_commit_callbacks
):
    body = post_file(api, product.pk, "photo.png", PNG).json()
    record = ProductFile.objects.for_tenant(admin.tenant).get()
    storage, name = record.file.storage, record.file.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = api.call("delete", body["url"].removeprefix("/api/v1"))
    assert response.status_code == 204
    assert not ProductFile.objects.for_tenant(admin.tenant).exists()
    assert not storage.exists(name)
    assert api.call("get", body["url"].removeprefix("/api/v1")).status_code == 404


def test_reps_download_files_but_may_not_add_or_remove_them(api, rep, api_as, product):
    body = post_file(api, product.pk, "photo.png", PNG).json()
    client = api_as(rep)
    assert client.call("get", body["url"].removeprefix("/api/v1")).status_code == 200
    assert post_file(client, product.pk, "mine.png", PNG).status_code == 403
    assert client.call("delete", body["url"].removeprefix("/api/v1")).status_code == 403
    assert ProductFile.objects.for_tenant(product.tenant).count() == 1


def test_a_file_is_404_under_another_product_of_the_same_organisation(api, admin, product):
    body = post_file(api, product.pk, "photo.png", PNG).json()
    other = factories.product(admin, sku="OTHER")
    assert api.call("get", f"/products/{other.pk}/files/{body['id']}").status_code == 404


def test_a_trashed_product_gets_no_new_files_but_keeps_serving_its_own(api, admin, product):
    body = post_file(api, product.pk, "photo.png", PNG).json()
    services.product_delete(by=admin, product=product)
    assert api.call("get", body["url"].removeprefix("/api/v1")).status_code == 200
    assert post_file(api, product.pk, "more.png", PNG).status_code == 404
    with pytest.raises(ValidationError):
        services.product_file_add(by=admin, product=product, uploaded=upload("x.png", PNG))


def test_the_services_refuse_files_to_other_roles(admin, product):
    rep = factories.member(admin.tenant, "sales_rep")
    with pytest.raises(PermissionDenied):
        services.product_file_add(by=rep, product=product, uploaded=upload("x.png", PNG))


def test_adding_and_removing_files_is_audited_on_the_product(admin, product):
    from funia.core.models import AuditEntry

    record = services.product_file_add(
        by=admin, product=product, uploaded=upload("x.png", PNG), title="Front"
    )
    services.product_file_delete(by=admin, product_file=record)
    changes = [
        e.changes.get("files")
        for e in AuditEntry.objects.for_tenant(admin.tenant)
        .filter(object_type="sales.product", object_id=product.pk)
        .order_by("pk")
    ]
    assert changes[-2:] == [[None, "Front"], ["Front", None]]


def test_a_file_missing_from_the_storage_answers_404(api, admin, product):
    body = post_file(api, product.pk, "photo.png", PNG).json()
    record = ProductFile.objects.for_tenant(admin.tenant).get()
    record.file.storage.delete(record.file.name)
    response = api.call("get", body["url"].removeprefix("/api/v1"))
    assert response.status_code == 404
    assert response["Content-Type"] == "application/problem+json"
