from funia.customers.views import accounts, contacts

urlpatterns = [*accounts.urlpatterns("accounts"), *contacts.urlpatterns("contacts")]
