from django import template

from funia.customers.normalize import format_phone

register = template.Library()


@register.filter
def phone(value: str) -> str:
    """E.164 as people read it: '+359 88 812 3456'."""
    return format_phone(value) if value else ""
