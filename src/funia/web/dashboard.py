"""Home dashboard cards: each module registers a provider; the home page shows them all."""

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Card:
    title: str
    value: str
    url: str = ""
    hint: str = ""


_providers: list[Callable] = []


def register(provider: Callable) -> Callable:
    """Register `provider(actor) -> list[Card]`; usable as a decorator."""
    if provider not in _providers:
        _providers.append(provider)
    return provider


def dashboard_cards(actor) -> list[Card]:
    cards: list[Card] = []
    for provider in _providers:
        cards.extend(provider(actor))
    return cards
