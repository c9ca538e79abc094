#!/usr/bin/env python3
"""Writes the two small tabular data sets the CSV examples train on (data/*.csv).

Both are synthetic, drawn from documented formulas with a fixed seed, so anyone can check what a
model should be able to learn from them. Only the standard library is used.

data/loans.csv (classification, 1,200 rows): will a loan applicant repay?
  age             uniform 21..70
  income          log-normal around 48,000 (thousands, 1 decimal)
  debt            income * uniform 0..0.9 (thousands)
  employment      salaried 60% / self-employed 25% / unemployed 15%
  region          north / south / east / west, uniform
  years_at_job    0..30, missing (empty) in 8% of rows
  repaid          yes/no from a logistic model:
                  z = 2.2 - 4.0*debt/income + 0.9*log(income/48) + 0.03*(age-45) - 0.002*(age-45)^2
                      + {salaried: 0.6, self-employed: 0, unemployed: -1.6} + 0.04*years_at_job
                  p(yes) = sigmoid(z); the label is drawn from p (so no model reaches 100%)
data/houses.csv (regression, 1,500 rows): what does a house sell for?
  area            60..260 m2
  rooms           round(area / 30) +- 1, at least 1
  age             0..100 years, missing in 5% of rows
  neighborhood    center / suburb / rural (30/50/20%)
  distance        km to the center: center 0.5..3, suburb 3..15, rural 15..40
  price           thousands: 2.1*area*{center 1.6, suburb 1.0, rural 0.65}
                  * exp(-0.004*age) * (1 + 0.05*(rooms - area/30)) - 1.5*distance + noise N(0, 18)
"""
import math
import os
import random


def loans(rng, n=1200):
    rows = []
    for _ in range(n):
        age = rng.randint(21, 70)
        income = round(48 * math.exp(rng.gauss(0, 0.45)), 1)
        debt = round(income * rng.uniform(0, 0.9), 1)
        employment = rng.choices(["salaried", "self-employed", "unemployed"], [60, 25, 15])[0]
        region = rng.choice(["north", "south", "east", "west"])
        years = min(30, max(0, int(rng.expovariate(1 / 7)))) if employment != "unemployed" else 0
        z = (2.2 - 4.0 * debt / income + 0.9 * math.log(income / 48) + 0.03 * (age - 45)
             - 0.002 * (age - 45) ** 2
             + {"salaried": 0.6, "self-employed": 0.0, "unemployed": -1.6}[employment]
             + 0.04 * years)
        repaid = "yes" if rng.random() < 1 / (1 + math.exp(-z)) else "no"
        years_text = "" if rng.random() < 0.08 else str(years)
        rows.append([age, income, debt, employment, region, years_text, repaid])
    return ["age", "income", "debt", "employment", "region", "years_at_job", "repaid"], rows


def houses(rng, n=1500):
    rows = []
    for _ in range(n):
        area = rng.randint(60, 260)
        rooms = max(1, round(area / 30) + rng.choice([-1, 0, 0, 1]))
        age = rng.randint(0, 100)
        neighborhood = rng.choices(["center", "suburb", "rural"], [30, 50, 20])[0]
        distance = round({"center": rng.uniform(0.5, 3), "suburb": rng.uniform(3, 15),
                          "rural": rng.uniform(15, 40)}[neighborhood], 1)
        factor = {"center": 1.6, "suburb": 1.0, "rural": 0.65}[neighborhood]
        price = (2.1 * area * factor * math.exp(-0.004 * age) * (1 + 0.05 * (rooms - area / 30))
                 - 1.5 * distance + rng.gauss(0, 18))
        age_text = "" if rng.random() < 0.05 else str(age)
        rows.append([area, rooms, age_text, neighborhood, distance, round(price, 1)])
    return ["area", "rooms", "age", "neighborhood", "distance", "price"], rows


def write(path, header, rows):
    with open(path, "w") as f:
        f.write(",".join(header) + "\n")
        for row in rows:
            f.write(",".join(str(v) for v in row) + "\n")


def main():
    root = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "data")
    write(os.path.join(root, "loans.csv"), *loans(random.Random(20261124)))
    write(os.path.join(root, "houses.csv"), *houses(random.Random(20261125)))


if __name__ == "__main__":
    main()
