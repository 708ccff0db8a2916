"""Coverage of the reported 95% intervals over simulated studies with planted truth (slow).

Each study is drawn by the demo-study simulator (:mod:`analysis.simulate`, its generating
functions, no files written): 30 agencies, 24 programme and 6 comparison, realistic sample
sizes (45-520 answers a wave), one decliner, three agencies without change, one follow-up
too small to report. Its planted truth is the population value of every agency's outcome
index in both waves (:func:`analysis.simulate.population_truth`, exact under the generating
model), so each interval can be checked against what it claims to cover:

- an agency's index change (Welch, :func:`analysis.change.index_change`): that agency's true
  change;
- the difference-in-differences (:func:`analysis.meta.agency_level_did`): the planted
  difference of the mean true changes of the reportable programme and comparison agencies
  (truth.json's ``did_outcome_index``). The interval is built for the programme's average
  effect over agencies like these, which varies less from study to study than the planted
  difference of these particular agencies, so the proportion of planted values covered is
  expected a little above 95%; the mean of the planted values over all studies stands in
  for that average and is reported too;
- one agency's difference-in-differences (:func:`analysis.meta.agency_did`): its true change
  minus the comparison agencies' mean true change; measured and reported (the interval is
  a prediction interval, and is expected to be wide).

Run ``make test-slow`` (or ``python tests/test_coverage.py`` for the figures alone).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import pytest
from scipy import stats

from analysis import change, meta
from analysis import simulate as sim

STUDIES = 100
AGENCIES = 30
FIRST_SEED = 20260101
SCALE_MIN, SCALE_MAX = 1, 5
MIN_REPORT_N = 10


@dataclass(frozen=True)
class AgencyChange:
    group: str
    truth: float
    estimate: float
    se: float
    ci_low: float
    ci_high: float


@dataclass(frozen=True)
class StudyOutcome:
    agencies: list[AgencyChange]
    did: meta.AgencyLevelDidResult
    did_truth: float


def _answers(frame) -> np.ndarray:
    values = frame[sim.OUTCOME].to_numpy(dtype=float)
    return values[np.isfinite(values) & (values != sim.NA_CODE)]


def simulate_outcome(seed: int) -> StudyOutcome:
    """One simulated study's reportable agency changes, their truth, and the DiD."""
    rng = np.random.default_rng(seed)
    plans, _ = sim.plan_study(AGENCIES, rng, responses=None)
    agencies = []
    for plan in plans:
        before, after = (
            _answers(sim.draw_respondents(plan, wave, plan.n_natural[wave], rng))
            for wave in ("baseline", "followup")
        )
        result = change.index_change(before, after, SCALE_MIN, SCALE_MAX, MIN_REPORT_N)
        if result["suppressed"]:
            continue  # as the reports do: fewer than 10 answers in a wave
        truth = (
            sim.population_truth(plan, "followup")["outcome"]
            - sim.population_truth(plan, "baseline")["outcome"]
        )
        x0 = (before - SCALE_MIN) / (SCALE_MAX - SCALE_MIN) * 100
        x1 = (after - SCALE_MIN) / (SCALE_MAX - SCALE_MIN) * 100
        se = math.sqrt(x0.var(ddof=1) / x0.size + x1.var(ddof=1) / x1.size)
        agencies.append(
            AgencyChange(
                plan.group, truth, result["estimate"], se, result["ci_low"], result["ci_high"]
            )
        )
    programme = [a for a in agencies if a.group == "programme"]
    comparison = [a for a in agencies if a.group == "comparison"]
    did = meta.agency_level_did([a.estimate for a in programme], [a.estimate for a in comparison])
    did_truth = float(
        np.mean([a.truth for a in programme]) - np.mean([a.truth for a in comparison])
    )
    return StudyOutcome(agencies, did, did_truth)


@dataclass(frozen=True)
class Coverage:
    covered: int
    total: int

    @property
    def share(self) -> float:
        return self.covered / self.total

    def __str__(self) -> str:
        # Wilson 95% interval of the coverage itself, so the figure says how sure it is.
        low, high = stats.binomtest(self.covered, self.total).proportion_ci(method="wilson")
        return f"{self.share:.1%} ({self.covered}/{self.total}; 95% CI {low:.1%} to {high:.1%})"


def coverage_figures(outcomes: list[StudyOutcome]) -> dict[str, Coverage]:
    """Every coverage the module describes, over the simulated studies."""
    changes = [a for o in outcomes for a in o.agencies]
    index = Coverage(sum(a.ci_low <= a.truth <= a.ci_high for a in changes), len(changes))
    did = Coverage(
        sum(o.did.ci_low <= o.did_truth <= o.did.ci_high for o in outcomes), len(outcomes)
    )
    average = float(np.mean([o.did_truth for o in outcomes]))
    did_average = Coverage(
        sum(o.did.ci_low <= average <= o.did.ci_high for o in outcomes), len(outcomes)
    )
    covered = total = 0
    for o in outcomes:
        comparison = [a for a in o.agencies if a.group == "comparison"]
        comparison_truth = float(np.mean([a.truth for a in comparison]))
        for a in o.agencies:
            if a.group != "programme":
                continue
            single = meta.agency_did(a.estimate, a.se, [c.estimate for c in comparison])
            total += 1
            covered += single.ci_low <= a.truth - comparison_truth <= single.ci_high
    return {
        "index_change": index,
        "did": did,
        "did_average": did_average,
        "agency_did": Coverage(covered, total),
    }


@pytest.fixture(scope="module")
def outcomes() -> list[StudyOutcome]:
    return [simulate_outcome(FIRST_SEED + i) for i in range(STUDIES)]


@pytest.fixture(scope="module")
def figures(outcomes) -> dict[str, Coverage]:
    result = coverage_figures(outcomes)
    print()
    for name, value in result.items():
        print(f"coverage of the 95% interval, {name}: {value}")
    return result


@pytest.mark.slow
def test_when_agency_changes_are_simulated_then_their_intervals_cover_the_truth_93_to_97pct(
    figures,
):
    index = figures["index_change"]
    assert index.total >= 2000  # about 29 reportable agencies in each of 100 studies
    assert 0.93 <= index.share <= 0.97, str(index)


@pytest.mark.slow
def test_when_studies_have_6_comparison_agencies_then_the_did_interval_covers_90_to_99pct(
    outcomes, figures
):
    assert len(outcomes) >= 40
    assert all(o.did.k_comparison == 6 for o in outcomes)
    assert 0.90 <= figures["did"].share <= 0.99, str(figures["did"])
    assert 0.90 <= figures["did_average"].share <= 0.99, str(figures["did_average"])


@pytest.mark.slow
def test_when_one_agency_is_set_against_the_comparison_agencies_then_coverage_is_measured(
    figures,
):
    # A prediction interval: the counterfactual is a new comparison agency, and the comparison
    # agencies' spread already holds their sampling error, so it errs on the wide side. The
    # figure is reported; the test only guards against under-coverage.
    single = figures["agency_did"]
    assert single.total >= 2000
    assert single.share >= 0.90, str(single)


if __name__ == "__main__":
    for key, value in coverage_figures(
        [simulate_outcome(FIRST_SEED + i) for i in range(STUDIES)]
    ).items():
        print(f"{key}: {value}")
