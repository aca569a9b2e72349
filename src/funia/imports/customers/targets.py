"""The import targets of the customer master: contacts and accounts.

Their fields and the header names that suggest them (Salesforce and HubSpot exports,
Bulgarian headers), and how one row's cells become the services' fields.
"""

from django.utils.translation import gettext_lazy as _

from funia.customers.custom_fields import definitions
from funia.imports.registry import ImportTarget, TargetField, register


def _field(key: str, label, *aliases: str) -> TargetField:
    return TargetField(key, label, aliases)


FIRST_NAME = _field(
    "first_name", _("First name"), "First Name", "Given name", "Firstname", "Име", "Собствено име"
)
LAST_NAME = _field(
    "last_name", _("Last name"), "Last Name", "Surname", "Family name", "Lastname", "Фамилия"
)
FULL_NAME = _field(
    "full_name",
    _("Full name"),
    "Full Name",
    "Name",
    "Contact Name",
    "Contact",
    "Име и фамилия",
    "Имена",
    "Лице за контакт",
)
TITLE = _field(
    "title", _("Job title"), "Title", "Job Title", "Position", "Role", "Длъжност", "Позиция"
)
ACCOUNT = _field(
    "account",
    _("Account (name)"),
    "Account Name",
    "Company Name",
    "Company",
    "Account",
    "Organization",
    "Organisation",
    "Employer",
    "Фирма",
    "Компания",
    "Организация",
)
EMAIL = _field(
    "email",
    _("Email"),
    "E-mail",
    "Email Address",
    "E-mail Address",
    "Primary Email",
    "Work Email",
    "Имейл",
    "Е-поща",
    "Ел. поща",
    "Електронна поща",
    "Email 1",
)
EMAIL_2 = _field(
    "email_2",
    _("Email 2"),
    "Second Email",
    "Secondary Email",
    "Other Email",
    "Additional Email",
    "Email Address 2",
    "Втори имейл",
    "Имейл 2",
)
PHONE = _field(
    "phone",
    _("Phone"),
    "Phone Number",
    "Telephone",
    "Business Phone",
    "Work Phone",
    "Office Phone",
    "Primary Phone",
    "Tel",
    "Телефон",
    "Тел.",
    "Служебен телефон",
)
MOBILE = _field(
    "mobile",
    _("Mobile"),
    "Mobile Phone",
    "Mobile Phone Number",
    "Mobile Number",
    "Cell",
    "Cell Phone",
    "GSM",
    "Мобилен",
    "Мобилен телефон",
    "Мобилен номер",
)
STREET = _field(
    "street",
    _("Street"),
    "Mailing Street",
    "Billing Street",
    "Street Address",
    "Address",
    "Address Line 1",
    "Адрес",
    "Улица",
)
CITY = _field("city", _("City"), "Mailing City", "Billing City", "Town", "Град", "Населено място")
POSTAL_CODE = _field(
    "postal_code",
    _("Postal code"),
    "Mailing Zip/Postal Code",
    "Billing Zip/Postal Code",
    "Postal Code",
    "Zip",
    "Zip Code",
    "Postcode",
    "Пощенски код",
    "ПК",
)
REGION = _field(
    "region",
    _("Region"),
    "Mailing State/Province",
    "Billing State/Province",
    "State/Region",
    "State",
    "Province",
    "County",
    "Област",
    "Регион",
)
COUNTRY = _field(
    "country",
    _("Country"),
    "Mailing Country",
    "Billing Country",
    "Country/Region",
    "Country Code",
    "Държава",
    "Страна",
)
TAGS = _field("tags", _("Tags (comma-separated)"), "Tags", "Labels", "Categories", "Етикети")
SOURCE = _field(
    "source",
    _("Source"),
    "Lead Source",
    "Original Source",
    "Contact Source",
    "Channel",
    "Източник",
)
OWNER = _field(
    "owner",
    _("Owner (user's email)"),
    "Owner",
    "Contact Owner",
    "Account Owner",
    "Company Owner",
    "Record Owner",
    "Owner Email",
    "Собственик",
    "Отговорник",
)
NAME = _field(
    "name",
    _("Name"),
    "Account Name",
    "Company Name",
    "Company",
    "Account",
    "Organization",
    "Organisation",
    "Фирма",
    "Име",
    "Име на фирмата",
    "Компания",
    "Наименование",
)
DOMAIN = _field(
    "domain",
    _("Website or domain"),
    "Website",
    "Website URL",
    "Web Site",
    "Domain",
    "Company Domain Name",
    "URL",
    "Уебсайт",
    "Сайт",
    "Домейн",
)
INDUSTRY = _field("industry", _("Industry"), "Sector", "Индустрия", "Отрасъл", "Сектор")
SEGMENT = _field("segment", _("Segment"), "Type", "Account Type", "Сегмент")
EMPLOYEES = _field(
    "employees",
    _("Employees"),
    "Number of Employees",
    "Employee Count",
    "Headcount",
    "Служители",
    "Брой служители",
    "Персонал",
)
PARENT = _field(
    "parent",
    _("Parent account (name)"),
    "Parent Account",
    "Parent Company",
    "Parent",
    "Subsidiary Of",
    "Компания майка",
)

SHARED = (EMAIL, EMAIL_2, PHONE, MOBILE, STREET, CITY, POSTAL_CODE, REGION, COUNTRY, TAGS)
SHARED_TAIL = (SOURCE, OWNER)


def _custom_fields(entity: str):
    def fields(tenant) -> list[TargetField]:
        return [
            TargetField(f"custom.{f.key}", f.label, (f.key,))
            for f in definitions(tenant=tenant, entity=entity)
        ]

    return fields


def register_targets() -> None:
    from funia.imports.customers.processors import AccountProcessor, ContactProcessor

    register(
        ImportTarget(
            key="contacts",
            label=_("Contacts"),
            base_fields=(
                FIRST_NAME,
                LAST_NAME,
                FULL_NAME,
                TITLE,
                ACCOUNT,
                *SHARED,
                *SHARED_TAIL,
            ),
            required=(("last_name", "full_name"),),
            processor=ContactProcessor,
            extra_fields=_custom_fields("contact"),
        )
    )
    register(
        ImportTarget(
            key="accounts",
            label=_("Accounts"),
            base_fields=(NAME, DOMAIN, INDUSTRY, SEGMENT, EMPLOYEES, PARENT, *SHARED, *SHARED_TAIL),
            required=(("name",),),
            processor=AccountProcessor,
            extra_fields=_custom_fields("account"),
        )
    )
