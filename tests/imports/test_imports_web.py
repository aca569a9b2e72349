"""Import pages: upload, map the columns, preview with errors, start, follow the progress."""

from django.urls import reverse

from funia.imports import engine
from funia.imports.models import ImportJob
from tests.imports.conftest import upload

PEOPLE = (
    "Име,Фамилия,Имейл,Бележка\n"
    "Иван,Петров,ivan@example.com,first\n"
    "Мария,Иванова,not-an-email,second\n"
)


def html(response) -> str:
    return response.content.decode()


def uploaded_job(browser, admin, content=PEOPLE) -> ImportJob:
    response = browser.post(
        reverse("import_create"), {"target": "contacts", "file": upload("хора.csv", content)}
    )
    job = ImportJob.objects.for_tenant(admin.tenant).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("import_mapping", args=[job.pk])
    return job


def test_the_whole_flow_from_upload_to_the_finished_import(
    admin, web_as, django_capture_on_commit_callbacks
):
    browser = web_as(admin)
    assert browser.get(reverse("import_create")).status_code == 200
    job = uploaded_job(browser, admin)
    assert job.status == "draft"

    mapping_page = html(browser.get(reverse("import_mapping", args=[job.pk])))
    assert '<option value="first_name" selected>' in mapping_page
    assert "ivan@example.com" in mapping_page  # the first values of each column
    response = browser.post(
        reverse("import_mapping", args=[job.pk]),
        {"column_0": "first_name", "column_1": "last_name", "column_2": "email", "column_3": ""},
    )
    assert response["Location"] == reverse("import_preview", args=[job.pk])

    preview = html(browser.get(reverse("import_preview", args=[job.pk])))
    assert "Row 3" in preview
    assert "“not-an-email” is not a valid email address." in preview
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = browser.post(
            reverse("import_preview", args=[job.pk]), {"on_duplicate": "update"}
        )
    assert response["Location"] == reverse("import_detail", args=[job.pk])
    assert len(callbacks) == 1  # the background job, enqueued on commit
    job.refresh_from_db()
    assert (job.status, job.on_duplicate, job.dry_run) == ("queued", "update", False)

    running = html(browser.get(reverse("import_detail", args=[job.pk])))
    assert 'hx-trigger="every 1s"' in running
    engine.process_import(job)
    fragment = browser.get(reverse("import_detail", args=[job.pk]), headers={"HX-Request": "true"})
    text = html(fragment)
    assert "<html" not in text
    assert 'hx-trigger="every 1s"' not in text  # done: the polling stops
    assert 'value="100"' in text
    assert reverse("import_errors_csv", args=[job.pk]) in text
    errors = browser.get(reverse("import_errors_csv", args=[job.pk]))
    assert b"not-an-email" in b"".join(errors.streaming_content)


def test_a_mapping_without_a_last_name_is_sent_back_with_the_reason(admin, web_as):
    browser = web_as(admin)
    job = uploaded_job(browser, admin)

    response = browser.post(reverse("import_mapping", args=[job.pk]), {"column_2": "email"})

    assert response.status_code == 200
    assert "Map a column to Last name or Full name." in html(response)
    job.refresh_from_db()
    assert job.mapping["Фамилия"] == "last_name"  # unchanged


def test_an_unreadable_upload_is_shown_as_a_form_error(admin, web_as):
    response = web_as(admin).post(
        reverse("import_create"),
        {"target": "contacts", "file": upload("old.xls", b"\xd0\xcf\x11\xe0" + b"\0" * 64)},
    )

    assert response.status_code == 200
    assert "Old Excel files (.xls) are not supported" in html(response)
    assert not ImportJob.objects.for_tenant(admin.tenant).exists()


def test_a_finished_dry_run_can_be_run_for_real(admin, web_as):
    browser = web_as(admin)
    job = uploaded_job(browser, admin)
    browser.post(
        reverse("import_preview", args=[job.pk]), {"on_duplicate": "skip", "dry_run": "on"}
    )
    job.refresh_from_db()
    engine.process_import(job)

    response = browser.post(reverse("import_rerun", args=[job.pk]))

    real = ImportJob.objects.for_tenant(admin.tenant).exclude(pk=job.pk).get()
    assert response["Location"] == reverse("import_detail", args=[real.pk])
    assert (real.dry_run, real.status, real.stored_path) == (False, "queued", job.stored_path)


def test_the_list_shows_the_imports_with_their_status(admin, web_as):
    browser = web_as(admin)
    uploaded_job(browser, admin)

    page = html(browser.get(reverse("import_list")))

    assert "хора.csv" in page
    assert "Draft" in page


def test_an_analyst_may_not_upload_and_a_rep_does_not_see_the_admins_import(
    admin, analyst, rep, web_as
):
    job = uploaded_job(web_as(admin), admin)

    assert web_as(analyst).get(reverse("import_create")).status_code == 403
    for name in ("import_detail", "import_mapping", "import_preview", "import_errors_csv"):
        assert web_as(rep).get(reverse(name, args=[job.pk])).status_code == 404, name


def test_the_navigation_has_an_import_entry(admin, web_as):
    page = html(web_as(admin).get(reverse("home")))

    assert f'href="{reverse("import_list")}"' in page
