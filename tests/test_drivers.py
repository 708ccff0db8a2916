"""Key-driver importance against R relaimpo and the two-predictor formula; the IPA matrix."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pingouin
import pytest

from analysis.drivers import importance_performance, priorities, relative_importance

# R's mtcars (Henderson & Velleman, 1981): the columns the relaimpo example uses.
MTCARS = pd.DataFrame(
    {
        "mpg": [21.0, 21.0, 22.8, 21.4, 18.7, 18.1, 14.3, 24.4, 22.8, 19.2, 17.8, 16.4, 17.3,
                15.2, 10.4, 10.4, 14.7, 32.4, 30.4, 33.9, 21.5, 15.5, 15.2, 13.3, 19.2, 27.3,
                26.0, 30.4, 15.8, 19.7, 15.0, 21.4],
        "cyl": [6, 6, 4, 6, 8, 6, 8, 4, 4, 6, 6, 8, 8, 8, 8, 8, 8, 4, 4, 4, 4, 8, 8, 8, 8, 4,
                4, 4, 8, 6, 8, 4],
        "vs": [0, 0, 1, 1, 0, 1, 0, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1, 0, 0, 0, 0, 1,
               0, 1, 0, 0, 0, 1],
        "am": [1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 0, 0, 0, 0, 0, 1,
               1, 1, 1, 1, 1, 1],
    },
    dtype=float,
)  # fmt: skip


def test_when_mtcars_is_decomposed_then_lmg_matches_relaimpo():
    # relaimpo::calc.relimp(mpg ~ am + vs + cyl, data = mtcars, type = "lmg"), as printed in
    # the domir package README: am 0.1774892, vs 0.2027032, cyl 0.3817849; R^2 = 76.2%.
    assert MTCARS["mpg"].var() == pytest.approx(36.3241, abs=1e-4)  # "Total response variance"

    table = relative_importance(MTCARS, ["am", "vs", "cyl"], "mpg")

    assert table["predictor"].tolist() == ["am", "vs", "cyl"]
    assert table["r2_share"].tolist() == pytest.approx([0.1774892, 0.2027032, 0.3817849], abs=1e-7)
    assert table["r2_share"].sum() == pytest.approx(0.762, abs=5e-4)
    assert table["share_pct"].sum() == pytest.approx(100.0)
    assert (table["n"] == 32).all()


def test_when_there_are_two_predictors_then_shares_follow_the_closed_form():
    # With two predictors LMG_1 = r1^2 + (R^2 - r1^2 - r2^2) / 2, where
    # R^2 = (r1^2 + r2^2 - 2 r1 r2 r12) / (1 - r12^2).
    rng = np.random.default_rng(7)
    x1 = rng.normal(size=80)
    x2 = 0.6 * x1 + rng.normal(size=80)
    y = 0.5 * x1 + 0.3 * x2 + rng.normal(size=80)
    frame = pd.DataFrame({"x1": x1, "x2": x2, "y": y})
    corr = np.corrcoef([x1, x2, y])
    r1, r2, r12 = corr[0, 2], corr[1, 2], corr[0, 1]
    r_squared = (r1**2 + r2**2 - 2 * r1 * r2 * r12) / (1 - r12**2)
    expected = [
        r1**2 + (r_squared - r1**2 - r2**2) / 2,
        r2**2 + (r_squared - r1**2 - r2**2) / 2,
    ]

    table = relative_importance(frame, ["x1", "x2"], "y")

    assert table["r2_share"].tolist() == pytest.approx(expected)
    assert table["r2_share"].sum() == pytest.approx(r_squared)
    assert table["share_pct"].tolist() == pytest.approx([100 * e / r_squared for e in expected])


def test_when_rows_have_missing_values_then_only_complete_cases_are_used():
    frame = MTCARS.copy()
    frame.loc[0, "vs"] = np.nan
    frame.loc[1, "mpg"] = np.nan
    table = relative_importance(frame, ["am", "vs", "cyl"], "mpg")
    assert (table["n"] == 30).all()
    complete = relative_importance(MTCARS.iloc[2:], ["am", "vs", "cyl"], "mpg")
    assert table["r2_share"].tolist() == pytest.approx(complete["r2_share"].tolist())


def test_when_complete_cases_are_under_min_report_n_then_shares_are_missing():
    table = relative_importance(MTCARS.head(9), ["am", "vs", "cyl"], "mpg", min_report_n=10)
    assert table["r2_share"].isna().all() and table["share_pct"].isna().all()
    assert (table["n"] == 9).all()


def test_when_shares_are_computed_then_they_are_pingouins_relimp_columns():
    rng = np.random.default_rng(3)
    frame = pd.DataFrame(rng.normal(size=(120, 4)), columns=["a", "b", "c", "y"])
    frame["b"] += 0.5 * frame["a"]
    frame["y"] += 0.4 * frame["a"] + 0.2 * frame["c"]

    table = relative_importance(frame, ["a", "b", "c"], "y")

    fit = pingouin.linear_regression(frame[["a", "b", "c"]], frame["y"], relimp=True)
    fit = fit.set_index("names").loc[["a", "b", "c"]]
    assert table["r2_share"].tolist() == pytest.approx(fit["relimp"].tolist())
    assert table["share_pct"].tolist() == pytest.approx(fit["relimp_perc"].tolist())
    assert table["r2_share"].sum() == pytest.approx(fit["r2"].iloc[0])


def test_when_a_predictor_is_constant_then_it_gets_no_share():
    frame = MTCARS.assign(const=1.0)
    table = relative_importance(frame, ["am", "const", "vs", "cyl"], "mpg").set_index("predictor")
    assert table.loc["const", "r2_share"] == 0.0
    assert table.loc[["am", "vs", "cyl"], "r2_share"].tolist() == pytest.approx(
        [0.1774892, 0.2027032, 0.3817849], abs=1e-7
    )


def test_when_the_outcome_is_constant_then_shares_are_missing():
    table = relative_importance(MTCARS.assign(mpg=20.0), ["am", "vs", "cyl"], "mpg")
    assert table["r2_share"].isna().all()


def _matrix() -> pd.DataFrame:
    importance = pd.DataFrame(
        {
            "predictor": ["WAIT", "STAFF", "INFO", "PLACE", "SUPPR"],
            "r2_share": [0.20, 0.15, 0.05, 0.04, np.nan],
            "share_pct": [40.0, 30.0, 10.0, 20.0, np.nan],
            "n": 100,
        }
    )
    performance = pd.DataFrame(
        {"code": ["WAIT", "STAFF", "INFO", "PLACE"], "estimate": [50.0, 80.0, 60.0, 90.0]}
    )
    return importance_performance(importance, performance)


def test_when_dimensions_are_crossed_with_the_means_then_each_gets_its_quadrant():
    # Importance mean 25, performance mean 70.
    matrix = _matrix().set_index("dimension")
    assert matrix.loc["WAIT", "importance_mean"] == pytest.approx(25.0)
    assert matrix.loc["WAIT", "performance_mean"] == pytest.approx(70.0)
    assert matrix.loc["WAIT", "quadrant"] == "concentrate_here"
    assert matrix.loc["STAFF", "quadrant"] == "keep_up"
    assert matrix.loc["INFO", "quadrant"] == "low_priority"
    assert matrix.loc["PLACE", "quadrant"] == "possible_overkill"
    assert pd.isna(matrix.loc["SUPPR", "quadrant"])
    assert math.isnan(matrix.loc["SUPPR", "performance"])


def test_when_priorities_are_named_then_they_are_the_concentrate_here_dimensions():
    top = priorities(_matrix())
    assert top["dimension"].tolist() == ["WAIT"]
    assert top["priority"].tolist() == [1]


def test_when_no_dimension_is_important_and_weak_then_there_is_no_priority():
    importance = pd.DataFrame({"predictor": ["A", "B"], "share_pct": [70.0, 30.0]})
    performance = pd.DataFrame({"code": ["A", "B"], "estimate": [90.0, 40.0]})
    assert priorities(importance_performance(importance, performance)).empty
