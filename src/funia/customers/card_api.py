"""API of the customer card: GET /accounts/{account_id}/card and /contacts/{contact_id}/card."""

from datetime import datetime
from urllib.parse import urlencode

from ninja import Query, Router, Schema
from pydantic import Field

from funia.api.schemas import Id
from funia.customers import selectors
from funia.customers.card import TIMELINE_MAX, TIMELINE_PAGE, Card, customer_card
from funia.customers.schemas import AccountOut, ContactOut

router = Router(tags=["customers"])


class CardParams(Schema):
    timeline_before: datetime | None = Field(
        None, description="the next page of the timeline: `timeline_next` of the previous"
    )
    timeline_limit: int = Field(TIMELINE_PAGE, ge=1, le=TIMELINE_MAX)


class CardItemOut(Schema):
    id: int | None
    title: str
    detail: str
    url: str | None
    at: datetime | None
    status: str


class CardSectionOut(Schema):
    title: str
    items: list[CardItemOut]
    more: str | None = Field(None, description="all the items, when more than shown")


class TimelineEntryOut(Schema):
    at: datetime
    kind: str
    title: str
    detail: str
    user: str
    link: str | None


class CardOut(Schema):
    sections: dict[str, CardSectionOut]
    timeline: list[TimelineEntryOut] = Field(description="newest first")
    timeline_next: str | None = Field(None, description="the next page of the timeline")


class AccountCardOut(CardOut):
    record: AccountOut


class ContactCardOut(CardOut):
    record: ContactOut


def _card_body(request, card: Card, limit: int) -> dict:
    def absolute(url: str) -> str | None:
        return request.build_absolute_uri(url) if url else None

    next_url = None
    if card.timeline_next is not None:
        query = urlencode(
            {"timeline_before": card.timeline_next.isoformat(), "timeline_limit": limit}
        )
        next_url = request.build_absolute_uri(f"{request.path}?{query}")
    return {
        "record": card.record,
        "sections": {
            section.key: {
                "title": section.title,
                "items": [
                    {
                        "id": item.id,
                        "title": item.title,
                        "detail": item.detail,
                        "url": absolute(item.url),
                        "at": item.at,
                        "status": item.status,
                    }
                    for item in section.items
                ],
                "more": absolute(section.more),
            }
            for section in card.sections
        },
        "timeline": [
            {
                "at": entry.at,
                "kind": entry.kind,
                "title": entry.title,
                "detail": entry.detail,
                "user": entry.user,
                "link": absolute(entry.link),
            }
            for entry in card.timeline
        ],
        "timeline_next": next_url,
    }


@router.get(
    "/accounts/{account_id}/card",
    response=AccountCardOut,
    summary="The account's card: details, contacts, every module's section, the timeline",
)
def account_card(request, account_id: Id, params: Query[CardParams]):
    account = selectors.account_get(actor=request.auth, pk=account_id, with_deleted=True)
    card = customer_card(
        actor=request.auth,
        record=account,
        before=params.timeline_before,
        limit=params.timeline_limit,
    )
    return _card_body(request, card, params.timeline_limit)


@router.get(
    "/contacts/{contact_id}/card",
    response=ContactCardOut,
    summary="The contact's card: details, accounts, every module's section, the timeline",
)
def contact_card(request, contact_id: Id, params: Query[CardParams]):
    contact = selectors.contact_get(actor=request.auth, pk=contact_id, with_deleted=True)
    card = customer_card(
        actor=request.auth,
        record=contact,
        before=params.timeline_before,
        limit=params.timeline_limit,
    )
    return _card_body(request, card, params.timeline_limit)
