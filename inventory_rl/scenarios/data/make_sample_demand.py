"""Generates ``sample_demand.csv``: two years of daily sales of 10 products, for the
``sample-data`` scenario. Synthetic, not real sales: each product has its own level, a weekly
pattern, a yearly season, a slow trend and a few promotions (a week of higher demand); units
are negative binomial around that mean, capped at 20. Days without a sale have no row, as in
a real sales export.

    python inventory_rl/scenarios/data/make_sample_demand.py   # rewrites sample_demand.csv (seed 0)
"""

from __future__ import annotations

import csv
import datetime as dt
from pathlib import Path

import numpy as np

START = dt.date(2023, 1, 2)  # a Monday
DAYS = 730
PRODUCTS = [f"SKU-{number:03d}" for number in range(101, 111)]
MAX_UNITS = 20


def daily_means(rng: np.random.Generator) -> np.ndarray:
    """The mean demand of every (day, product): level x weekly x yearly x trend x promotions."""
    days = np.arange(DAYS)
    level = rng.uniform(3.0, 15.0, len(PRODUCTS))
    weekly = 1.0 + rng.uniform(0.1, 0.5, len(PRODUCTS)) * np.cos(2 * np.pi * (days[:, None] - 5) / 7)
    yearly = 1.0 + rng.uniform(0.0, 0.3, len(PRODUCTS)) * np.sin(2 * np.pi * days[:, None] / 365 + rng.uniform(0, 6.3))
    trend = 1.0 + rng.uniform(-0.3, 0.3, len(PRODUCTS)) * days[:, None] / DAYS
    promotions = np.ones((DAYS, len(PRODUCTS)))
    for product in range(len(PRODUCTS)):
        for start in rng.choice(DAYS - 7, size=4, replace=False):
            promotions[start : start + 7, product] = rng.uniform(1.5, 2.5)
    return level * weekly * yearly * trend * promotions


def main() -> None:
    rng = np.random.default_rng(0)
    means = daily_means(rng)
    shape = 3.0  # negative binomial: variance = mean + mean^2 / 3
    units = np.minimum(rng.negative_binomial(shape, shape / (shape + means)), MAX_UNITS)
    path = Path(__file__).with_name("sample_demand.csv")
    with open(path, "w", newline="", encoding="utf-8") as file:
        writer = csv.writer(file)
        writer.writerow(["date", "product", "units"])
        for day in range(DAYS):
            date = (START + dt.timedelta(days=day)).isoformat()
            for product, name in enumerate(PRODUCTS):
                if units[day, product]:
                    writer.writerow([date, name, int(units[day, product])])
    print(f"wrote {path} ({DAYS} days, {len(PRODUCTS)} products, {int(units.sum()):,} units)")


if __name__ == "__main__":
    main()
