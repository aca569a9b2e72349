"""Navigation entry of quotes."""

from django.utils.translation import gettext_lazy as _lazy

from funia.web.navigation import NavEntry, register

register(NavEntry(_lazy("Quotes"), "quote_list", "file-text", order=59))
