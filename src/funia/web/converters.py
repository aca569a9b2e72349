"""URL converter for record ids: digits that fit a 64-bit database integer, else 404."""

from django.urls import register_converter


class RecordIdConverter:
    regex = "[0-9]{1,18}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value) -> str:
        return str(int(value))


register_converter(RecordIdConverter, "id")
