"""API schemas of leads, web-to-lead forms and assignment rules."""

from datetime import date, datetime
from decimal import Decimal
from typing import Literal

from ninja import Schema
from pydantic import Field

from funia.api.schemas import Id, InputSchema
from funia.sales.leads import webform

Country = Field("", max_length=2, pattern=r"^([A-Za-z]{2})?$")
SettableStatus = Literal["new", "working", "qualified", "disqualified"]
Rating = Literal["hot", "warm", "cold", ""]
FormField = Literal[
    "first_name",
    "last_name",
    "company",
    "title",
    "email",
    "phone",
    "website",
    "country",
    "region",
    "city",
    "industry",
    "employees",
    "message",
]


class LeadOut(Schema):
    id: int
    first_name: str
    last_name: str
    company: str
    title: str
    email: str
    phone: str
    website: str
    country: str
    region: str
    city: str
    industry: str
    employees: int | None
    message: str
    status: str
    disqualify_reason: str
    source: str
    campaign: str
    rating: str
    owner: int | None = Field(None, alias="owner_id")
    consent_email: bool | None
    consent_phone: bool | None
    consent_marketing: bool | None
    form: int | None = Field(None, alias="form_id")
    converted_at: datetime | None
    converted_account: int | None = Field(None, alias="converted_account_id")
    converted_contact: int | None = Field(None, alias="converted_contact_id")
    converted_opportunity: int | None = Field(None, alias="converted_opportunity_id")
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(False, alias="is_deleted")


class LeadIn(InputSchema):
    first_name: str = Field("", max_length=100)
    last_name: str = Field("", max_length=100)
    company: str = Field("", max_length=200)
    title: str = Field("", max_length=100)
    email: str = Field("", max_length=254)
    phone: str = Field("", max_length=32)
    website: str = Field("", max_length=200)
    country: str = Country
    region: str = Field("", max_length=100)
    city: str = Field("", max_length=100)
    industry: str = Field("", max_length=100)
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
    message: str = Field("", max_length=5000)
    status: SettableStatus = "new"
    disqualify_reason: str = Field("", max_length=300)
    source: str = Field("", max_length=100)
    campaign: str = Field("", max_length=200)
    rating: Rating = ""
    owner: Id | None = Field(
        None, description="Leave out to let the assignment rules choose (else: you)."
    )
    consent_email: bool | None = None
    consent_phone: bool | None = None
    consent_marketing: bool | None = None


class LeadPatch(InputSchema):
    first_name: str | None = Field(None, max_length=100)
    last_name: str | None = Field(None, max_length=100)
    company: str | None = Field(None, max_length=200)
    title: str | None = Field(None, max_length=100)
    email: str | None = Field(None, max_length=254)
    phone: str | None = Field(None, max_length=32)
    website: str | None = Field(None, max_length=200)
    country: str | None = Field(None, max_length=2, pattern=r"^([A-Za-z]{2})?$")
    region: str | None = Field(None, max_length=100)
    city: str | None = Field(None, max_length=100)
    industry: str | None = Field(None, max_length=100)
    employees: int | None = Field(None, ge=0, le=2_147_483_647)
    message: str | None = Field(None, max_length=5000)
    status: SettableStatus | None = None
    disqualify_reason: str | None = Field(None, max_length=300)
    source: str | None = Field(None, max_length=100)
    campaign: str | None = Field(None, max_length=200)
    rating: Rating | None = None
    owner: Id | None = None
    consent_email: bool | None = None
    consent_phone: bool | None = None
    consent_marketing: bool | None = None


class ConvertOpportunityIn(InputSchema):
    name: str = Field("", max_length=200)
    amount: Decimal | None = Field(None, ge=0, max_digits=18, decimal_places=2)
    currency: str = Field("", max_length=3)
    pipeline: Id | None = None
    stage: Id | None = None
    expected_close_date: date | None = None


class LeadConvertIn(InputSchema):
    account: Id | None = Field(None, description="Link this account instead of creating one.")
    contact: Id | None = Field(None, description="Link this contact instead of creating one.")
    create_opportunity: bool = False
    opportunity: ConvertOpportunityIn | None = None
    on_duplicate: Literal["error", "create"] = "error"


class LeadFormOut(Schema):
    id: int
    name: str
    key: str
    is_active: bool
    fields: list[str]
    required: list[str]
    allowed_origins: list[str]
    source: str
    campaign: str
    owner: int | None = Field(None, alias="owner_id")
    consent_text: str
    thank_you: str
    redirect_url: str
    submit_url: str
    hosted_url: str
    html_snippet: str
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(False, alias="is_deleted")

    # The public addresses, absolute for the request's host.
    @staticmethod
    def resolve_submit_url(obj, context):
        return context["request"].build_absolute_uri(webform.submit_url(obj))

    @staticmethod
    def resolve_hosted_url(obj, context):
        return context["request"].build_absolute_uri(webform.hosted_url(obj))

    @staticmethod
    def resolve_html_snippet(obj, context):
        url = context["request"].build_absolute_uri(webform.submit_url(obj))
        return webform.html_snippet(obj, url)


class LeadFormIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    is_active: bool = True
    fields: list[FormField] = Field(
        default_factory=lambda: ["first_name", "last_name", "company", "email", "phone", "message"],
        max_length=20,
    )
    required: list[FormField] = Field(default_factory=list, max_length=20)
    allowed_origins: list[str] = Field(default_factory=list, max_length=20)
    source: str = Field("web form", max_length=100)
    campaign: str = Field("", max_length=200)
    owner: Id | None = None
    consent_text: str = Field("", max_length=500)
    thank_you: str = Field("", max_length=500)
    redirect_url: str = Field("", max_length=200)


class LeadFormPatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=120)
    is_active: bool | None = None
    fields: list[FormField] | None = Field(None, max_length=20)
    required: list[FormField] | None = Field(None, max_length=20)
    allowed_origins: list[str] | None = Field(None, max_length=20)
    source: str | None = Field(None, max_length=100)
    campaign: str | None = Field(None, max_length=200)
    owner: Id | None = None
    consent_text: str | None = Field(None, max_length=500)
    thank_you: str | None = Field(None, max_length=500)
    redirect_url: str | None = Field(None, max_length=200)


class AssignmentRuleOut(Schema):
    id: int
    name: str
    position: int
    is_active: bool
    countries: list[str]
    regions: list[str]
    industries: list[str]
    sources: list[str]
    user: int | None = Field(None, alias="user_id")
    team: int | None = Field(None, alias="team_id")
    by_territory: bool
    version: int
    created_at: datetime
    updated_at: datetime
    deleted: bool = Field(False, alias="is_deleted")


Criteria = list[str]


class AssignmentRuleIn(InputSchema):
    name: str = Field(min_length=1, max_length=120)
    position: int | None = Field(None, ge=0, le=2_147_483_647)
    is_active: bool = True
    countries: Criteria = Field(default_factory=list, max_length=100)
    regions: Criteria = Field(default_factory=list, max_length=100)
    industries: Criteria = Field(default_factory=list, max_length=100)
    sources: Criteria = Field(default_factory=list, max_length=100)
    user: Id | None = None
    team: Id | None = None
    by_territory: bool = Field(
        False,
        description="round-robin among the active reps of the lead's territory (no user, no "
        "team); a lead without a territory, or whose territory has no rep, goes to the next "
        "rule",
    )


class AssignmentRulePatch(InputSchema):
    name: str | None = Field(None, min_length=1, max_length=120)
    position: int | None = Field(None, ge=0, le=2_147_483_647)
    is_active: bool | None = None
    countries: Criteria | None = Field(None, max_length=100)
    regions: Criteria | None = Field(None, max_length=100)
    industries: Criteria | None = Field(None, max_length=100)
    sources: Criteria | None = Field(None, max_length=100)
    user: Id | None = None
    team: Id | None = None
    by_territory: bool | None = None


class SubmissionOut(Schema):
    message: str
