"""Tests of the synthetic demo-study generator (``analysis.simulate``).

The planted faults are re-counted from the raw files with code written here, independently of
the generator; the exact population truth is checked against normal-table values, hand-worked
cases and a large Monte Carlo sample.
"""

from __future__ import annotations

import json
import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from analysis import config
from analysis import simulate as sim

SMALL = {"agencies": 6, "responses": 60}
REASONS = ("duplicate", "empty", "speeder", "straightliner", "outside_fieldwork")


def _files(folder: Path) -> dict[str, bytes]:
    return {
        str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()
    }


@pytest.fixture(scope="module")
def demo_waves() -> dict[str, pd.DataFrame]:
    """The committed demo study's two wave files, read once."""
    return {wave: _read_wave(config.DEFAULT_STUDY_DIR, wave) for wave in config.WAVES}


@pytest.fixture(scope="module")
def small_study(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("small")
    sim.simulate_study(folder, **SMALL)
    return folder


def _read_wave(folder: Path, wave: str) -> pd.DataFrame:
    """Raw wave file -> respondent, agency, date, duration, item columns (9 -> NaN)."""
    study = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    path = folder / study["waves"][wave]["files"][0]
    if path.suffix == ".csv":
        raw = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
        day = pd.to_datetime(raw[study["columns"]["date"]], format="%d/%m/%Y")
    else:
        raw = pd.read_excel(path, dtype=object)
        day = pd.to_datetime(raw[study["columns"]["date"]])
    items = raw[[spec["column"] for spec in study["items"].values()]]
    items = items.apply(pd.to_numeric, errors="coerce").astype(float)
    items = items.mask(items.isin(study["scale"]["not_applicable"]))
    return pd.DataFrame(
        {
            "respondent": raw[study["columns"]["respondent"]].astype(str),
            "agency_id": raw[study["columns"]["agency"]].astype(str),
            "date": day,
            "duration": pd.to_numeric(raw[study["columns"]["duration_s"]], errors="coerce"),
        }
    ).join(items.set_axis([f"item{i}" for i in range(items.shape[1])], axis=1))


def _count_faults(
    frame: pd.DataFrame, window: list, median_over_all: bool
) -> dict[str, dict[str, int]]:
    """First-match quality rules of DESIGN.md section 3, counted per agency."""
    items = frame.filter(like="item")
    answered = items.notna().sum(axis=1)
    duplicate = frame["respondent"].duplicated(keep="first")
    empty = answered == 0
    base = frame["duration"] if median_over_all else frame["duration"].where(~duplicate & ~empty)
    median = base.groupby(frame["agency_id"]).transform("median")
    speeder = frame["duration"] < 0.33 * median
    straight = (answered >= 8) & (items.max(axis=1) == items.min(axis=1))
    start, end = (pd.Timestamp(d) for d in window)
    outside = (frame["date"] < start) | (frame["date"] > end)
    reason = pd.Series("", index=frame.index)
    for name, mask in zip(REASONS, (duplicate, empty, speeder, straight, outside), strict=True):
        reason[(reason == "") & mask.fillna(False).astype(bool)] = name
    counts: dict[str, dict[str, int]] = {}
    for agency, group in reason.groupby(frame["agency_id"]):
        counts[agency] = {name: int((group == name).sum()) for name in REASONS}
    return counts


def _check_faults(folder: Path, waves: dict[str, pd.DataFrame]) -> None:
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    study = yaml.safe_load((folder / "study.yml").read_text(encoding="utf-8"))
    for wave in config.WAVES:
        frame = waves[wave]
        for median_over_all in (True, False):
            counted = _count_faults(frame, study["waves"][wave]["fieldwork"], median_over_all)
            planted = {a: v["faults"][wave] for a, v in truth["agencies"].items()}
            assert counted == planted
        received = frame["agency_id"].value_counts().to_dict()
        assert received == {a: v["n_received"][wave] for a, v in truth["agencies"].items()}


# ---------------------------------------------------------------------------------------------
# Reproducibility
# ---------------------------------------------------------------------------------------------


def test_when_same_seed_then_every_file_is_byte_identical(
    small_study: Path, tmp_path: Path
) -> None:
    sim.simulate_study(tmp_path, **SMALL)
    assert _files(tmp_path) == _files(small_study)


def test_when_seed_differs_then_the_data_differ(small_study: Path, tmp_path: Path) -> None:
    sim.simulate_study(tmp_path, seed=config.DEMO_SEED + 1, **SMALL)
    for name in ("surveys/baseline.csv", "surveys/followup.xlsx", "truth.json"):
        assert (tmp_path / name).read_bytes() != (small_study / name).read_bytes()


def test_when_regenerated_with_defaults_then_committed_demo_study_matches(tmp_path: Path) -> None:
    sim.simulate_study(tmp_path)
    fresh = _files(tmp_path)
    committed = _files(config.DEFAULT_STUDY_DIR)
    assert set(fresh) <= set(committed)
    for name, content in fresh.items():
        assert committed[name] == content, f"data/raw/{name} differs: run `make data`"


# ---------------------------------------------------------------------------------------------
# Planted structure in the raw files
# ---------------------------------------------------------------------------------------------


def test_when_small_study_then_faults_in_files_match_truth(small_study: Path) -> None:
    _check_faults(small_study, {w: _read_wave(small_study, w) for w in config.WAVES})


def test_when_demo_study_then_faults_in_files_match_truth(demo_waves) -> None:
    _check_faults(config.DEFAULT_STUDY_DIR, demo_waves)


def test_when_demo_study_then_groups_and_sample_sizes_are_as_planned(demo_waves) -> None:
    folder = config.DEFAULT_STUDY_DIR
    agencies = pd.read_csv(folder / "agencies.csv", dtype={"agency_id": str})
    assert agencies["group"].value_counts().to_dict() == {"programme": 24, "comparison": 6}
    assert agencies["agency_id"].tolist() == [f"AG{i:02d}" for i in range(1, 31)]
    assert agencies["name_ar"].str.contains(r"[\u0600-\u06FF]").all()
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    followup = demo_waves["followup"]["agency_id"].value_counts()
    baseline = demo_waves["baseline"]["agency_id"].value_counts()
    tiny = followup[followup < 10]
    assert list(tiny.index) == [truth["tiny_followup_agency"]]
    assert truth["agencies"][tiny.index[0]]["n_analysed"]["followup"] < 10
    assert truth["agencies"][tiny.index[0]]["group"] == "programme"
    sizes = pd.concat([baseline, followup.drop(tiny.index)])
    assert sizes.min() >= 40 and sizes.max() <= 650
    assert sizes.max() / sizes.min() > 5  # a realistic spread, not one size for all


def test_when_demo_study_then_interventions_cover_programme_agencies_between_waves() -> None:
    folder = config.DEFAULT_STUDY_DIR
    log = pd.read_csv(folder / "interventions.csv", parse_dates=["date"])
    agencies = pd.read_csv(folder / "agencies.csv").set_index("agency_id")
    programme = set(agencies.index[agencies["group"] == "programme"])
    assert set(log["agency_id"]) == programme
    assert log["date"].min() > pd.Timestamp("2025-02-10")
    assert log["date"].max() < pd.Timestamp("2025-09-14")
    assert set(log["activity"]) == {
        "ambassador training",
        "staff workshop",
        "coaching",
        "procedure documentation",
        "field visit",
    }
    coverage = log.groupby("agency_id")["staff_trained"].sum() / agencies["frontline_staff"]
    coverage = coverage.dropna()
    assert coverage.max() - coverage.min() > 0.5
    truth = json.loads((folder / "truth.json").read_text(encoding="utf-8"))
    for agency, value in coverage.items():
        assert truth["agencies"][agency]["coverage"] == pytest.approx(value, abs=1e-6)


def test_when_demo_study_then_comments_carry_personal_data_and_markup() -> None:
    folder = config.DEFAULT_STUDY_DIR
    raw = pd.read_csv(folder / "surveys/baseline.csv", dtype=str, keep_default_na=False)
    comments = raw["ملاحظات"]
    assert 0.15 < (comments != "").mean() < 0.6
    phone = r"(?:\+?966|\b0)\s?5\d(?:[\s-]?\d){7}\b"
    assert comments.str.contains(phone).sum() >= 2
    assert comments.str.contains(r"\b[12]\d{9}\b").any()
    assert comments.str.contains(r"[\w.]+@[\w.]+\.\w+").any()
    assert comments.str.contains("<script>").any() and comments.str.contains("<b>").any()
    arabic = comments[comments != ""].str.contains(r"[\u0600-\u06FF]")
    assert arabic.mean() > 0.8


def test_when_study_yml_is_read_then_codebook_matches_the_raw_files(small_study: Path) -> None:
    study = yaml.safe_load((small_study / "study.yml").read_text(encoding="utf-8"))
    for key in ("title", "languages", "scale", "waves", "columns", "items", "dimensions"):
        assert key in study
    assert "SYNTHETIC" in study["title"]["en"]
    assert study["outcome"] == "SAT" and study["outcome"] in study["items"]
    assert list(study["waves"]) == ["baseline", "followup"]
    in_dimensions = [c for d in study["dimensions"].values() for c in d["items"]]
    assert len(in_dimensions) == len(set(in_dimensions)) == 15
    assert "SAT" not in in_dimensions and "TRUST" not in in_dimensions
    assert {d["stage"] for d in study["dimensions"].values()} == {"before", "during", "after"}
    baseline = pd.read_csv(small_study / "surveys/baseline.csv", dtype=str, keep_default_na=False)
    followup = pd.read_excel(small_study / "surveys/followup.xlsx", dtype=object)
    for frame in (baseline, followup):
        needed = [s["column"] for s in study["items"].values()]
        needed += list(study["columns"].values()) + [study["recommend"]["column"]]
        assert set(needed) <= set(frame.columns)
        for segment in study["segments"].values():
            allowed = {str(v) for values in segment["values"].values() for v in values}
            seen = {str(v) for v in frame[segment["column"]] if v not in ("", None) and v == v}
            assert seen <= allowed
    assert "ذكر" in set(baseline["الجنس"])
    scale_values = set(baseline[study["items"]["SAT"]["column"]]) | set(baseline["q10"])
    assert scale_values <= {"", "1", "2", "3", "4", "5", "9"} and {"", "9"} <= scale_values


# ---------------------------------------------------------------------------------------------
# Population truth
# ---------------------------------------------------------------------------------------------


def test_when_ordered_probit_is_symmetric_then_probabilities_match_the_normal_table() -> None:
    # Phi(-1.5) = 0.0668072, Phi(-0.5) = 0.3085375 (standard normal table).
    p = sim.ordered_probit_probabilities(np.array(0.0), 1.0, np.array([-1.5, -0.5, 0.5, 1.5]))
    expected = [0.0668072, 0.2417303, 0.3829249, 0.2417303, 0.0668072]
    np.testing.assert_allclose(p, expected, atol=1e-7)


# Hand-worked case: item 1 is 1 or 2, item 2 is 1 or 5, each with probability 1/2. Only
# (1, 1) is a straight line, so the natural pairs are (1, 5), (2, 1), (2, 5), equally likely:
# E[x1] = 5/3, E[x1^2] = 3, E[x2] = 11/3, P(x2 >= 4) = 2/3, mean score (x1 + x2) / 2 = 8/3.
HAND_PROBS = np.array([[[0.5, 0.5, 0, 0, 0], [0.5, 0, 0, 0, 0.5]]])


def test_when_straight_lines_are_redrawn_then_item_moments_match_hand_values() -> None:
    moments = sim.natural_item_moments(HAND_PROBS, np.array([1.0]), np.array([1.0, 1.0]))
    np.testing.assert_allclose(moments["mean"], [5 / 3, 11 / 3])
    np.testing.assert_allclose(moments["second"][0], 3.0)
    np.testing.assert_allclose(moments["top2"], [0.0, 2 / 3])
    assert moments["natural"] == pytest.approx(0.75)


def test_when_a_configuration_always_straight_lines_then_it_carries_no_weight() -> None:
    always_five = np.array([[[0, 0, 0, 0, 1.0], [0, 0, 0, 0, 1.0]]])
    probs = np.concatenate([HAND_PROBS, always_five])
    # Item 2 skipped half the time: then item 1 alone is a straight line too.
    moments = sim.natural_item_moments(probs, np.array([0.5, 0.5]), np.array([1.0, 0.5]))
    np.testing.assert_allclose(moments["mean"], [5 / 3, 11 / 3])
    assert moments["natural"] == pytest.approx(0.5 * 0.5 * 0.75)


def test_when_scoring_a_dimension_then_the_half_rule_and_redraw_give_hand_values() -> None:
    weights = np.array([1.0])
    both = sim.natural_dimension_mean(HAND_PROBS, weights, np.array([1.0, 1.0]), [0, 1])
    assert both == pytest.approx(8 / 3)
    # With item 2 skipped half the time the one-item subset is kept by the half rule but is
    # always a straight line, so it adds nothing.
    half = sim.natural_dimension_mean(HAND_PROBS, weights, np.array([1.0, 0.5]), [0, 1])
    assert half == pytest.approx(8 / 3)
    alone = sim.natural_dimension_mean(HAND_PROBS, weights, np.array([1.0, 1.0]), [0])
    assert alone == pytest.approx(5 / 3)


@pytest.fixture(scope="module")
def big_sample() -> tuple[sim.AgencyPlan, dict[str, pd.DataFrame]]:
    rng = np.random.default_rng(7)
    plans, _ = sim.plan_study(6, rng, responses=60)
    plan = next(p for p in plans if p.role == "mix_shift")
    draws = {wave: sim.draw_respondents(plan, wave, 300_000, rng) for wave in config.WAVES}
    return plan, draws


def _indices(draws: pd.DataFrame) -> pd.DataFrame:
    items = draws[list(sim.ITEM_CODES)]
    return (items.mask(items == sim.NA_CODE) - 1) / 4 * 100


def test_when_sampling_a_huge_agency_then_means_match_the_exact_truth(big_sample) -> None:
    plan, draws = big_sample
    for wave, sample in draws.items():
        truth = sim.population_truth(plan, wave)
        index = _indices(sample)
        # Standard errors are about 0.05 points at n = 300,000: 0.25 is five of them.
        for code in sim.ITEM_CODES:
            assert index[code].mean() == pytest.approx(truth["items"][code], abs=0.25)
        for dim, codes in sim.DIMENSION_ITEMS.items():
            part = index[list(codes)]
            kept = 2 * part.notna().sum(axis=1) >= len(codes)
            score = part[kept].mean(axis=1)
            assert score.mean() == pytest.approx(truth["dimensions"][dim], abs=0.25)
        sat = sample[sim.OUTCOME]
        assert sat.std() == pytest.approx(truth["sd"][sim.OUTCOME], abs=0.005)
        top2 = (sat.dropna() >= 4).mean() * 100
        assert top2 == pytest.approx(truth["top2box"][sim.OUTCOME], abs=0.5)
        recommend = sample["recommend"].dropna()
        nps = ((recommend >= 9).mean() - (recommend <= 6).mean()) * 100
        assert nps == pytest.approx(truth["nps"], abs=0.6)


def test_when_sampling_both_waves_then_hedges_g_matches_the_truth(big_sample) -> None:
    plan, draws = big_sample
    base, follow = (draws[w][sim.OUTCOME] for w in config.WAVES)
    pooled = np.sqrt((base.var() + follow.var()) / 2)
    sample_g = (follow.mean() - base.mean()) / pooled
    truth = {w: sim.population_truth(plan, w) for w in config.WAVES}
    sd = {w: truth[w]["sd"][sim.OUTCOME] for w in config.WAVES}
    true_g = (truth["followup"]["mean"]["SAT"] - truth["baseline"]["mean"]["SAT"]) / np.sqrt(
        (sd["baseline"] ** 2 + sd["followup"] ** 2) / 2
    )
    assert sample_g == pytest.approx(true_g, abs=0.01)


def test_when_mix_is_held_at_baseline_then_the_change_differs_from_the_raw_one(
    big_sample,
) -> None:
    plan, draws = big_sample
    base = sim.population_truth(plan, "baseline")["outcome"]
    raw = sim.population_truth(plan, "followup")["outcome"] - base
    adjusted = sim.population_truth(plan, "followup", mix=plan.mix["baseline"])["outcome"] - base
    assert adjusted - raw > 2  # online respondents, less satisfied, grew at follow-up
    # Post-stratify the sample to the baseline channel mix: it recovers the adjusted change.
    sample = draws["followup"]
    sat = _indices(sample)[sim.OUTCOME]
    channel = sample["channel"]
    target = dict(zip(sim.SEGMENTS[3].codes, plan.mix["baseline"]["channel"], strict=True))
    weighted = sum(target[c] * sat[channel == c].mean() for c in target)
    assert weighted - base == pytest.approx(adjusted, abs=0.4)


def test_when_demo_study_then_truth_records_the_planted_story() -> None:
    truth = json.loads((config.DEFAULT_STUDY_DIR / "truth.json").read_text(encoding="utf-8"))
    agencies = truth["agencies"]
    assert truth["synthetic"] is True and truth["seed"] == config.DEMO_SEED
    decliner = agencies[truth["declining_agency"]]
    assert decliner["change"]["outcome"] < -3 and decliner["group"] == "programme"
    assert all(agencies[a]["change"]["outcome"] == 0 for a in truth["no_change_agencies"])
    comparison = truth["comparison_drift"]
    assert all(abs(agencies[a]["change"]["outcome"]) < 3 for a in comparison["agencies"])
    improvers = [a for a, v in agencies.items() if v["role"] == "improver"]
    assert len(improvers) >= 15 and all(agencies[a]["change"]["outcome"] > 2 for a in improvers)
    assert truth["programme_effect"]["mean_g"] > 0.15 > abs(comparison["mean_g"])
    assert truth["did_outcome_index"]["all"] == pytest.approx(
        truth["programme_effect"]["mean_index_change"] - comparison["mean_index_change"],
        abs=1e-5,
    )
    assert truth["dose_response"]["slope"] > 0.05
    shift = truth["mix_shift"]
    assert shift["adjusted_change"]["outcome"] - shift["raw_change"]["outcome"] > 2
    for agency in agencies.values():
        # Change recorded = follow-up minus baseline of the recorded levels.
        levels = agency["index"]
        diff = levels["followup"]["outcome"] - levels["baseline"]["outcome"]
        assert agency["change"]["outcome"] == pytest.approx(diff, abs=2e-6)
    totals = truth["quality_faults_total"]
    assert all(totals[w][r] > 0 for w in config.WAVES for r in REASONS)


def test_when_readme_is_written_then_it_says_the_data_are_synthetic(small_study: Path) -> None:
    text = (small_study / "README.md").read_text(encoding="utf-8")
    assert "SYNTHETIC" in text.splitlines()[0]
    assert re.search(r"no real|not real", text)
