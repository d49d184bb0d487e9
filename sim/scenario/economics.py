"""Miners as economic actors: the Bitcoin market, what a site pays for power, and
the rules by which a facility leaves the country or stops obeying the operator.

Part of the scenario schema (:mod:`sim.scenario.schema` gathers every model); one
docstring per field is its reference documentation. Off unless
``mining.economics.enabled`` is true, so scenarios without it keep their behaviour.

Money is in US dollars; a facility's margin is in USD per MW of its capacity per
day (revenue and power bill scale with the hours it runs, fixed costs do not).
"""

from __future__ import annotations

from typing import Annotated, Self

from pydantic import Field, model_validator

from sim.scenario.base import (
    Count,
    Duration,
    Flag,
    Frozen,
    LocalTime,
    NonNegative,
    Number,
    Positive,
    Probability,
)

#: A month as ``YYYY-MM``.
Month = Annotated[str, Field(pattern=r"^\d{4}-(0[1-9]|1[0-2])$")]


class MarketMonth(Frozen):
    """Bitcoin's network in one month: mean price and mean difficulty (sources M30)."""

    month: Month
    """The month, ``YYYY-MM`` (local calendar)."""
    btc_usd: Positive
    """Mean price of one bitcoin over the month, USD."""
    difficulty_t: Positive
    """Mean mining difficulty over the month, in units of 10^12."""


class Tariff(Frozen):
    """Price of electricity: each facility draws its own, uniformly between the bounds."""

    low_usd_per_kwh: NonNegative
    """Lowest price, USD per kWh."""
    high_usd_per_kwh: NonNegative
    """Highest price, USD per kWh (at least ``low_usd_per_kwh``)."""

    @model_validator(mode="after")
    def _ordered(self) -> Self:
        if self.high_usd_per_kwh < self.low_usd_per_kwh:
            raise ValueError("high_usd_per_kwh must be at least low_usd_per_kwh")
        return self


class Leaving(Frozen):
    """When a facility gives up and moves abroad."""

    below_usd_per_mw_day: Number = 0.0
    """A day is a bad day when the facility's margin is below this, USD per MW per day."""
    patience: Duration = Duration(mean_days=30.0, cv=0.5)
    """Consecutive bad days a facility bears before it decides to leave (drawn per
    facility, rounded up to whole days, at least one)."""
    delay: Duration = Duration(mean_days=14.0, cv=0.5)
    """From the decision to the load leaving the grid (dismantling, shipping)."""


class GoingGrey(Frozen):
    """When a licensed facility keeps mining outside the operator's limits."""

    probability: Probability
    """Chance that a licensed facility limited for ``after_days`` goes grey (decided
    once per facility): from then on it runs whenever on the grid, out of the
    operator's reach, and the campaign may find it as a grey site."""
    limited_below: Probability = 1.0
    """A day counts as limited when the share of its load the operator allows,
    averaged over the day, is below this."""
    after_days: Count = 14
    """Consecutive limited days before it goes grey (at the end of the last one)."""


class Economics(Frozen):
    """Daily margins of every facility, and exits and switches to grey mining they cause.

    Margin of a facility on a day, USD per MW of capacity::

        utilisation x allowed share x (hashprice x TH/s per MW - 24,000 x price per kWh) - fixed

    with the hashprice (USD per TH/s per day) from the month's price and difficulty
    (sources M30), TH/s per MW from the hardware's ``j_per_th`` and the facility
    overhead, the price per kWh its tariff plus, for licensed sites, the levy. The
    allowed share is the operator's limit on licensed miners (a grey site runs
    whenever it is on the grid).
    """

    enabled: Flag = False
    """Whether facilities act on their margins at all."""
    market: tuple[MarketMonth, ...] = ()
    """Monthly price and difficulty, in month order. Days before the first month
    take the first month's values, days after the last the last month's."""
    block_reward_btc: Positive = 6.25
    """New bitcoins per block (6.25 from May 2020 to April 2024; sources M30)."""
    fees_share: NonNegative = 0.0
    """Transaction fees as a share of the block reward (sources M30: a few %)."""
    tariff_licensed: Tariff = Tariff(low_usd_per_kwh=0.03, high_usd_per_kwh=0.06)
    """Price licensed sites pay for power (sources M31: 3-6 US cents, an estimate)."""
    tariff_grey: Tariff = Tariff(low_usd_per_kwh=0.03, high_usd_per_kwh=0.06)
    """Price grey sites pay for power."""
    levy_kzt_per_kwh: NonNegative = 0.0
    """Levy on licensed miners' power, tenge per kWh (sources M10: 1 from 2022)."""
    levy_from: LocalTime | None = None
    """When the levy starts (local time; none: from the start)."""
    kzt_per_usd: Positive = 430.0
    """Tenge per US dollar, to convert the levy."""
    fixed_usd_per_mw_day: NonNegative = 0.0
    """Costs a site pays whether it runs or not (staff, rent, security), USD per
    MW of capacity per day."""
    leaving: Leaving = Leaving()
    """When a facility moves abroad."""
    going_grey: GoingGrey | None = None
    """When a licensed facility goes grey (none: never)."""

    @model_validator(mode="after")
    def _market(self) -> Self:
        months = [m.month for m in self.market]
        if self.enabled and not months:
            raise ValueError("economics needs a market: monthly btc_usd and difficulty_t")
        if months != sorted(set(months)):
            raise ValueError("market months must be given once each, in order")
        return self
