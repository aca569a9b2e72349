from openapi_spec_validator import validate
from openapi_spec_validator.validation.validators import OpenAPIV31SpecValidator


def test_the_openapi_document_is_valid_openapi_3_1(client):
    response = client.get("/api/v1/openapi.json")

    assert response.status_code == 200
    document = response.json()
    assert document["openapi"].startswith("3.1")
    validate(document, cls=OpenAPIV31SpecValidator)


def test_every_operation_documents_its_problem_responses(client):
    document = client.get("/api/v1/openapi.json").json()

    for path, operations in document["paths"].items():
        for method, operation in operations.items():
            for status in ("401", "404", "422", "429"):
                content = operation["responses"][status]["content"]
                assert "application/problem+json" in content, (method, path, status)


def test_the_interactive_docs_page_is_served(client):
    response = client.get("/api/v1/docs")

    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html  # served by us, never from a CDN
    assert "cdn" not in html.lower()


def test_every_operation_has_a_unique_short_id(client):
    document = client.get("/api/v1/openapi.json").json()
    ids = [op["operationId"] for ops in document["paths"].values() for op in ops.values()]

    assert len(ids) == len(set(ids))
    assert "account_list" in ids
