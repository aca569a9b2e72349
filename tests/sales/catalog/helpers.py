"""Shared builders of the catalog tests: the Roadster as an API payload and small files of
each accepted type."""

import io
import zipfile

from django.core.files.uploadedfile import SimpleUploadedFile

ROADSTER = {
    "sku": "CAR-1",
    "name": "Roadster",
    "tax_rate": "20",
    "unit": "pcs",
    "category": "Cars",
    "description": "<p>Two seats, <strong>fast</strong>.</p>",
    "option_groups": [
        {
            "name": "Colour",
            "kind": "single",
            "required": True,
            "options": [
                {"name": "White", "default": True},
                {"name": "Red", "price_adjustment": "500"},
            ],
        },
        {
            "name": "Seats",
            "kind": "single",
            "required": True,
            "options": [
                {"name": "Fabric", "default": True},
                {"name": "Leather", "price_adjustment": 2000, "requires": ["Premium"]},
            ],
        },
        {
            "name": "Packages",
            "kind": "multiple",
            "options": [
                {"name": "Premium", "price_adjustment": "10", "adjustment_type": "percent"},
                {"name": "Sport", "price_adjustment": "1500", "excludes": ["Eco"]},
                {"name": "Eco", "price_adjustment": "-300"},
            ],
        },
    ],
}

PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00"
    b"\x00\x1f\x15\xc4\x89\x00\x00\x00\rIDATx\x9cc\xf8\xcf\xc0\xf0\x1f\x00\x05\x00\x01\xff"
    b"\x89\x99=\x1d\x00\x00\x00\x00IEND\xaeB`\x82"
)
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def docx() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("word/document.xml", "<w:document/>")
    return buffer.getvalue()


def upload(name: str, content: bytes, content_type: str = "application/octet-stream"):
    return SimpleUploadedFile(name, content, content_type=content_type)


def option_ids(body: dict) -> dict[str, int]:
    """Option name -> id in an API product."""
    return {o["name"]: o["id"] for g in body["option_groups"] for o in g["options"]}


def group_ids(body: dict) -> dict[str, int]:
    return {g["name"]: g["id"] for g in body["option_groups"]}
