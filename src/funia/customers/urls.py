from funia.customers import duplicates_views, merge_views
from funia.customers.views import accounts, contacts, custom_field_pages

urlpatterns = [
    *accounts.urlpatterns("accounts"),
    *contacts.urlpatterns("contacts"),
    *custom_field_pages.urlpatterns("settings/custom-fields"),
    *merge_views.urlpatterns,
    *duplicates_views.urlpatterns,
]
