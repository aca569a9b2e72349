"""Navigation entries of the catalog: products for everyone, price books for administrators."""

from django.utils.translation import gettext_lazy as _lazy

from funia.web.navigation import NavEntry, register

register(NavEntry(_lazy("Products"), "product_list", "box", order=58))
register(NavEntry(_lazy("Price books"), "price_book_list", "currency", admin_only=True, order=947))
