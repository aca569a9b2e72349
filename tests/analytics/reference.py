"""A deliberately simple reference implementation of the funnel reports, in pure Python
over the stage histories a test generated (no database, no SQL): the definitions read
literally, one deal at a time."""

import datetime
import statistics
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal


@dataclass
class Deal:
    key: int  # the test's own number; `pk` once created
    owner: int
    source: str
    history: list  # [(stage name, aware datetime)], oldest first
    amount: Decimal | None = None
    deleted: bool = False
    pk: int | None = None
    teams: list = field(default_factory=list)  # team ids of the owner


@dataclass
class Stages:
    open: list  # names in order
    won: list
    lost: list

    def rank(self, name: str) -> int:
        if name in self.open:
            return self.open.index(name) + 1
        if name in self.won:
            return len(self.open) + 1
        return 0


def _first(deal: Deal, wanted) -> int | None:
    for index, (name, _at) in enumerate(deal.history):
        if wanted(name):
            return index
    return None


def stage_facts(deal: Deal, stages: Stages, stage: str, mode: str) -> dict | None:
    """What the history report says about one deal and one stage: None when the deal never
    entered it, else entered_at, advanced, lost, stay (days, or None)."""
    current = deal.history[-1][0]
    if stage not in stages.open:
        index = _first(deal, lambda name: name == stage)
        if index is None:
            return None
        return {"at": deal.history[index][1], "advanced": None, "lost": None, "stay": None}
    rank = stages.rank(stage)
    if mode == "any":
        index = _first(deal, lambda name: stages.rank(name) >= rank)
    else:
        index = _first(deal, lambda name: name == stage)
    if index is None:
        return None
    advanced = any(stages.rank(name) > rank for name, _at in deal.history[index:])
    lost = current in stages.lost and not advanced
    stays = [
        (deal.history[j + 1][1] - at).total_seconds() / 86400
        for j, (name, at) in enumerate(deal.history)
        if name == stage and j + 1 < len(deal.history)
    ]
    really_there = any(name == stage for name, _at in deal.history)
    stay = sum(stays) if really_there and current != stage else None
    return {"at": deal.history[index][1], "advanced": advanced, "lost": lost, "stay": stay}


def month_of(moment: datetime.datetime, zone) -> str:
    return moment.astimezone(zone).strftime("%Y-%m")


def group_keys(deal: Deal, group_by: str | None, facts: dict, zone) -> list:
    if group_by is None:
        return [None]
    if group_by == "owner":
        return [deal.owner]
    if group_by == "source":
        return [deal.source or None]
    if group_by == "team":
        return deal.teams or [None]
    return [month_of(facts["at"], zone)]


def history(deals, stages: Stages, *, start, end, mode, group_by=None, zone=None) -> dict:
    """{group key: {stage: {"entered", "advanced", "lost", "open", "conversion", "median",
    "deals": {metric: set of keys}}}}; group key None without group_by."""
    names = [*stages.open, *stages.won, *stages.lost]
    result: dict = {}
    for deal in deals:
        if deal.deleted:
            continue
        for stage in names:
            facts = stage_facts(deal, stages, stage, mode)
            if facts is None or not (start <= facts["at"] < end):
                continue
            for key in group_keys(deal, group_by, facts, zone):
                row = result.setdefault(key, {}).setdefault(
                    stage,
                    {
                        "deals": {m: set() for m in ("entered", "advanced", "lost", "open")},
                        "stays": [],
                    },
                )
                row["deals"]["entered"].add(deal.key)
                if stage in stages.open:
                    metric = (
                        "advanced" if facts["advanced"] else "lost" if facts["lost"] else "open"
                    )
                    row["deals"][metric].add(deal.key)
                    if facts["stay"] is not None:
                        row["stays"].append(facts["stay"])
    for groups in result.values():
        for stage, row in groups.items():
            entered = len(row["deals"]["entered"])
            row["entered"] = entered
            if stage in stages.open:
                for metric in ("advanced", "lost", "open"):
                    row[metric] = len(row["deals"][metric])
                row["conversion"] = round(row["advanced"] / entered, 4) if entered else None
                row["median"] = statistics.median(row["stays"]) if row["stays"] else None
            else:
                row.update(advanced=None, lost=None, open=None, conversion=None, median=None)
    return result


def snapshot(deals, stages: Stages, probabilities: dict, *, now, cycle_days: int) -> dict:
    rows = {}
    for stage in stages.open:
        here = [d for d in deals if not d.deleted and d.history[-1][0] == stage]
        amount = sum((d.amount or Decimal(0) for d in here), Decimal(0))
        ages = [(now - d.history[-1][1]).total_seconds() / 86400 for d in here]
        rows[stage] = {
            "count": len(here),
            "amount": amount.quantize(Decimal("0.01")),
            "weighted": (amount * probabilities[stage] / 100).quantize(
                Decimal("0.01"), rounding=ROUND_HALF_UP
            ),
            "age": sum(ages) / len(ages) if ages else None,
            "deals": {d.key for d in here},
        }
    since = now - datetime.timedelta(days=cycle_days)
    won = [
        d
        for d in deals
        if not d.deleted and d.history[-1][0] in stages.won and since <= d.history[-1][1] <= now
    ]
    cycles = [(d.history[-1][1] - d.history[0][1]).total_seconds() / 86400 for d in won]
    return {
        "stages": rows,
        "mean": sum(cycles) / len(cycles) if cycles else None,
        "median": statistics.median(cycles) if cycles else None,
        "won": {d.key for d in won},
    }
