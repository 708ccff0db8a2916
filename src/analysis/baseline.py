"""The baseline diagnosis report of one agency: numbers, sentences, charts and tables.

``notebooks/01_baseline.ipynb`` is a thin sequence of calls to :class:`BaselineReport`;
:func:`baseline_results` gives the same numbers as rows of ``reports/results.csv``, so
the report and the results table cannot disagree.
"""

from __future__ import annotations

import math
from functools import cached_property

import numpy as np
import pandas as pd
from IPython.display import HTML

from analysis import config, drivers, i18n, measures, plots, segments, views
from analysis.dataset import StudyData
from analysis.i18n import t
from analysis.report import comments_html, figure_html, findings_html, table_html

PHASE = "baseline"
WAVE = "baseline"
SIGNIFICANCE = 0.05
#: How many comments a report shows (the most recent first); the rest stay in the data.
MAX_COMMENTS = 12


def comments_to_show(
    written: pd.Series, limit: int = MAX_COMMENTS, lang: str | None = None
) -> list[str]:
    """The first ``limit`` distinct comments in order, a repeated one once with its count
    (``"… (×3)"``): twelve places are not spent on three copies of the same sentence. With
    ``lang``, comments are compared as shown, personal data masked (two requests with
    different phone numbers read the same once masked)."""
    texts = written.astype(str)
    if lang is not None:
        from analysis import privacy

        texts = texts.map(lambda text: privacy.clean_comment(text, lang))
    texts = texts.str.strip()
    texts = texts[texts != ""]
    counts = texts.groupby(texts, sort=False).size().head(limit)
    return [text if n == 1 else f"{text} (×{n})" for text, n in counts.items()]


def baseline_levels(data: StudyData) -> pd.DataFrame:
    """Levels of every agency at baseline, as results-table rows (phase ``baseline``)."""
    return data.levels(data.wave_responses(WAVE), PHASE)


def league_levels(data: StudyData) -> pd.DataFrame:
    """The outcome's baseline level of every agency: what the league and rank are built on.

    All that a baseline report shows of the other agencies (the build hashes it to know
    which reports a change elsewhere touches).
    """
    return data.levels(data.wave_responses(WAVE), PHASE, outcome_only=True)


def baseline_results(data: StudyData) -> pd.DataFrame:
    """The baseline rows of ``reports/results.csv`` (DESIGN.md section 5)."""
    return baseline_levels(data)


def likert_distribution(
    responses: pd.DataFrame, items: list[str], scale_min: int, scale_max: int
) -> pd.DataFrame:
    """Percentage of answered responses at each scale code, one row per item.

    N/A and blank answers are left out of the denominator. Columns: ``code``, ``n`` and
    one column per scale code (int), summing to 100 where ``n > 0``.
    """
    codes = list(range(scale_min, scale_max + 1))
    rows = []
    for item in items:
        answered = responses[item].dropna()
        counts = answered.value_counts().reindex(codes, fill_value=0)
        n = int(counts.sum())
        share = (counts / n * 100) if n else counts * np.nan
        rows.append({"code": item, "n": n, **{c: float(share[c]) for c in codes}})
    return pd.DataFrame(rows)


def segment_value_label(data: StudyData, segment: str, code: str, lang: str) -> str:
    """Display text of a segment value: the first raw value written in the report's script.

    study.yml maps raw values to codes (``male: [ذكر, Male, 1]``); the raw values are the
    words respondents saw, so the Arabic report shows the first Arabic one and the English
    report the first Latin one, falling back to the code itself.
    """
    raw_values = data.study.segments[segment].values.get(code, [])
    for raw in raw_values:
        text = str(raw)
        has_arabic = any("\u0600" <= ch <= "\u06ff" for ch in text)
        has_latin = any(ch.isascii() and ch.isalpha() for ch in text)
        if (lang == "ar" and has_arabic) or (lang == "en" and has_latin and not has_arabic):
            return text
    return code.replace("_", " ").capitalize() if lang == "en" else code


def segment_label(data: StudyData, segment: str, lang: str) -> str:
    label = data.study.segments[segment].label
    return data.text(label, lang) if label else segment.replace("_", " ").capitalize()


def _pick(levels: pd.DataFrame, code: str, metric: str = "index", scope: str | None = None):
    rows = levels.loc[(levels["code"] == code) & (levels["metric"] == metric)]
    if scope is not None:
        rows = rows.loc[rows["scope"] == scope]
    return rows.iloc[0] if len(rows) else None


def _missing(x: object) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x)) or pd.isna(x)


class BaselineReport:
    """Everything the baseline notebook shows for one agency in one language."""

    def __init__(self, data: StudyData, agency_id: str, lang: str) -> None:
        if lang not in i18n.LANGUAGES:
            raise ValueError(f"unknown report language {lang!r} (expected ar or en)")
        data.agency(agency_id)  # a clear error for an unknown id
        self.data = data
        self.agency_id = agency_id
        self.lang = lang

    # --- numbers -----------------------------------------------------------------------

    @cached_property
    def all_levels(self) -> pd.DataFrame:
        """The outcome's baseline level of every agency (:func:`league_levels`).

        Every agency's every dimension and item would cost ten times as much, per report.
        """
        return league_levels(self.data)

    @cached_property
    def levels(self) -> pd.DataFrame:
        """Every baseline level of this agency (equal to its rows of :func:`baseline_levels`)."""
        return self.data.levels(self.responses, PHASE)

    @cached_property
    def responses(self) -> pd.DataFrame:
        return self.data.wave_responses(WAVE, self.agency_id)

    @cached_property
    def outcome(self) -> pd.Series | None:
        return _pick(self.levels, self.data.outcome, "index", "outcome")

    @cached_property
    def suppressed(self) -> bool:
        return self.outcome is None or _missing(self.outcome["estimate"])

    @cached_property
    def rank(self) -> pd.DataFrame:
        return measures.agency_rank(
            self.all_levels, self.data.outcome, target=self.data.target_index, wave=WAVE
        )

    @cached_property
    def dimension_levels(self) -> pd.DataFrame:
        """Index of each dimension for this agency, in study.yml order."""
        rows = self.levels.loc[
            (self.levels["scope"] == "dimension") & (self.levels["metric"] == "index")
        ].set_index("code")
        return rows.reindex(list(self.data.dimensions))

    @cached_property
    def dimension_scores(self) -> pd.DataFrame:
        scores = measures.respondent_dimension_scores(self.responses, self.data.dimensions)
        scores[self.data.outcome] = self.responses[self.data.outcome]
        return scores

    @cached_property
    def importance(self) -> pd.DataFrame:
        return drivers.relative_importance(
            self.dimension_scores,
            list(self.data.dimensions),
            self.data.outcome,
            self.data.min_report_n,
        )

    @cached_property
    def ipa(self) -> pd.DataFrame:
        performance = self.dimension_levels.reset_index()[["code", "estimate"]]
        return drivers.importance_performance(self.importance, performance)

    @cached_property
    def segment_gaps(self) -> pd.DataFrame:
        keys = [k for k in self.data.study.segments if k in self.responses.columns]
        if not keys:
            return pd.DataFrame()
        frame = self.responses.assign(
            _index=measures.to_index(
                self.responses[self.data.outcome], self.data.scale_min, self.data.scale_max
            )
        )
        return segments.segment_table(
            frame,
            keys,
            self.data.outcome,
            self.data.scale_min,
            self.data.scale_max,
            self.data.min_report_n,
        )

    # --- text helpers ------------------------------------------------------------------

    def _fmt(self, x: float, decimals: int = 0) -> str:
        return i18n.fmt_num(x, decimals, self.lang)

    def _join(self, texts: list[str]) -> str:
        """Quoted list of sentences ("...", "..."), trailing full stops dropped."""
        open_q, close_q = t("quote_open", self.lang), t("quote_close", self.lang)
        sep = t("list_separator", self.lang)
        return sep.join(f"{open_q}{x.rstrip('.').rstrip('،')}{close_q}" for x in texts)

    # --- sections ----------------------------------------------------------------------

    def header(self) -> HTML:
        lines = [views.fieldwork_line(self.data, WAVE, self.lang)]
        return views.report_header(self.data, PHASE, self.lang, self.agency_id, lines)

    def findings(self) -> list[str]:
        """Three to five sentences in plain words, each with a number (issue 16): the
        margin of error as a range in words, the tests and bracketed intervals in the tables."""
        lang = self.lang
        n = int(self.responses.shape[0])
        if self.suppressed:
            return [
                t(
                    "finding_too_few",
                    lang,
                    n=n,
                    min_n=self.data.min_report_n,
                )
            ]
        o = self.outcome
        sentences = [
            t(
                "finding_satisfaction",
                lang,
                index=views.plain_index_phrase(o["estimate"], o["ci_low"], o["ci_high"], lang),
                target=views.target_phrase(
                    o["estimate"], o["ci_low"], o["ci_high"], self.data.target_index, lang
                ),
                n=int(o["n"]),
            )
        ]
        standards = views.standards_sentence(self.data, self.levels, WAVE, lang, plain=True)
        if standards:
            sentences[0] += " " + standards
        rank = self.rank.set_index("agency_id")
        if self.agency_id in rank.index and not _missing(rank.loc[self.agency_id, "rank"]):
            r = rank.loc[self.agency_id]
            sentences.append(
                t(
                    "finding_rank",
                    lang,
                    rank=int(r["rank"]),
                    total=int(rank["rank"].notna().sum()),
                    low=int(r["rank_low"]),
                    high=int(r["rank_high"]),
                )
            )
        dims = self.dimension_levels.dropna(subset=["estimate"])
        if len(dims) >= 2:
            weakest, strongest = dims["estimate"].idxmin(), dims["estimate"].idxmax()
            sentences.append(
                t(
                    "finding_weakest",
                    lang,
                    weak=self.data.dimension_label(weakest, self.lang),
                    weak_index=t("of_100", lang, value=self._fmt(dims.loc[weakest, "estimate"])),
                    strong=self.data.dimension_label(strongest, self.lang),
                    strong_index=self._fmt(dims.loc[strongest, "estimate"]),
                )
            )
        top = drivers.priorities(self.ipa, top=1)
        if len(top):
            row = top.iloc[0]
            sentences.append(
                t(
                    "finding_priority",
                    lang,
                    dimension=self.data.dimension_label(row["dimension"], self.lang),
                )
            )
        sentences.append(self._segment_sentence())
        return sentences[:5]

    def _segment_sentence(self) -> str:
        gaps = self.segment_gaps
        lang = self.lang
        if gaps.empty:
            return t("finding_no_segments", lang)
        tested = gaps.dropna(subset=["p_adj", "gap"])
        clear = tested.loc[(tested["p_adj"] < SIGNIFICANCE) & (tested["gap"] < 0)]
        if clear.empty:
            return t("finding_no_gap", lang, segments=views.segments_phrase(self.data, lang))
        row = clear.sort_values("gap").iloc[0]
        return t(
            "finding_gap",
            lang,
            group=segment_value_label(self.data, row["segment"], row["group"], lang),
            segment=segment_label(self.data, row["segment"], lang),
            gap=self._fmt(abs(row["gap"])),
            range=i18n.fmt_range(-row["gap_ci_high"], -row["gap_ci_low"], 0, lang),
        )

    def key_findings(self) -> HTML:
        return findings_html(self.findings(), self.lang)

    def where_stand(self) -> list[HTML]:
        """Satisfaction and dimension indices with intervals, and the league of agencies."""
        lang, data = self.lang, self.data
        parts: list[HTML] = [views.section("q_where_stand", lang)]
        rows = []
        rows.append((t("group_overall", lang), self.outcome, None))
        for code in data.dimensions:
            rows.append(
                (self.data.dimension_label(code, self.lang), self.dimension_levels.loc[code], None)
            )
        frame = pd.DataFrame(
            {
                "label": [r[0] for r in rows],
                "estimate": [r[1]["estimate"] if r[1] is not None else np.nan for r in rows],
                "ci_low": [r[1]["ci_low"] if r[1] is not None else np.nan for r in rows],
                "ci_high": [r[1]["ci_high"] if r[1] is not None else np.nan for r in rows],
            }
        )
        frame["suppressed"] = frame["estimate"].isna()
        fig = plots.index_with_ci(
            frame,
            lang,
            target=data.target_index,
            highlight=frame["label"].iloc[0],
            labels=self._chart_labels(title=t("chart_index_title", lang)),
        )
        parts.append(figure_html(fig, alt=self._alt_index(frame)))
        league = self.rank.merge(data.agencies[["agency_id", "group"]], on="agency_id")
        league["label"] = [data.agency_name(a, lang) for a in league["agency_id"]]
        league["suppressed"] = league["estimate"].isna()
        fig = plots.league(
            league,
            lang,
            target=data.target_index,
            highlight=self.agency_id,
            labels=self._chart_labels(title=t("chart_league_title", lang)),
        )
        parts.append(figure_html(fig, alt=self._alt_league(league)))
        return parts

    def fall_short(self) -> list[HTML]:
        """Diverging Likert bars per journey stage, and the item table."""
        lang, data = self.lang, self.data
        parts: list[HTML] = [views.section("q_fall_short", lang)]
        stage_items = [
            (dim.stage or "during", item)
            for dim in data.study.dimensions.values()
            for item in dim.items
        ]
        dist = likert_distribution(
            self.responses, [i for _, i in stage_items], data.scale_min, data.scale_max
        )
        dist["label"] = [self.data.item_label(c, self.lang) for c in dist["code"]]
        dist["stage"] = [t(f"stage_{s}", lang) for s, _ in stage_items]
        dist["suppressed"] = dist["n"] < data.min_report_n
        scale_labels = {c: data.text(lbl, lang) for c, lbl in data.study.scale.labels.items()}
        stage_order = [t(f"stage_{s}", lang) for s in ("before", "during", "after")]
        fig = plots.likert_diverging(
            dist[["label", "stage", "suppressed", *range(data.scale_min, data.scale_max + 1)]],
            lang,
            scale_labels=scale_labels,
            stage_order=stage_order,
            labels=self._chart_labels(title=t("chart_likert_title", lang)),
        )
        weakest = self._weakest_items(3)
        parts.append(figure_html(fig, alt=t("alt_likert", lang, items=self._join(weakest))))
        if weakest:
            parts.append(
                views.paragraph(
                    t(
                        "reading_weakest_items",
                        lang,
                        items=self._join(weakest),
                    )
                )
            )
        parts.append(self._item_table(stage_items))
        return parts

    def _weakest_items(self, k: int) -> list[str]:
        items = self.levels.loc[
            (self.levels["scope"] == "item") & (self.levels["metric"] == "index")
        ].dropna(subset=["estimate"])
        return [self.data.item_label(c, self.lang) for c in items.nsmallest(k, "estimate")["code"]]

    def _item_table(self, stage_items: list[tuple[str, str]]) -> HTML:
        lang = self.lang
        idx = self.levels.loc[self.levels["metric"] == "index"].set_index("code")
        top2 = self.levels.loc[self.levels["metric"] == "top2box"].set_index("code")
        codes = [i for _, i in stage_items] + [
            c for c in self.data.items if c not in {i for _, i in stage_items}
        ]
        stage_of = dict((i, s) for s, i in stage_items)
        table = pd.DataFrame(
            {
                t("col_item", lang): [self.data.item_label(c, self.lang) for c in codes],
                t("col_stage", lang): [
                    t(f"stage_{stage_of[c]}", lang) if c in stage_of else "" for c in codes
                ],
                t("col_index", lang): [idx.loc[c, "estimate"] for c in codes],
                t("col_ci95", lang): [
                    i18n.fmt_interval(idx.loc[c, "ci_low"], idx.loc[c, "ci_high"], 1, lang)
                    for c in codes
                ],
                t("col_top2box", lang): [top2.loc[c, "estimate"] for c in codes],
                t("col_n", lang): [int(idx.loc[c, "n"]) for c in codes],
            }
        )
        mask = pd.Series([pd.isna(idx.loc[c, "estimate"]) for c in codes])
        return table_html(
            table,
            lang,
            caption=t("caption_items", lang),
            number_formats={t("col_index", lang): 1, t("col_top2box", lang): 1},
            suppressed_mask=mask,
            min_report_n=self.data.min_report_n,
        )

    def what_matters(self) -> list[HTML]:
        """Key drivers and the importance-performance matrix."""
        lang = self.lang
        parts: list[HTML] = [views.section("q_drivers", lang)]
        ipa = self.ipa.dropna(subset=["importance", "performance"])
        if len(ipa) < 2:
            parts.append(views.paragraph(t("reading_drivers_too_few", lang)))
            return parts
        chart = ipa.assign(
            label=[self.data.dimension_label(c, self.lang) for c in ipa["dimension"]]
        )
        fig = plots.importance_performance(
            chart[["label", "importance", "performance"]],
            lang,
            labels=self._chart_labels(
                title=t("chart_ipa_title", lang),
                importance=t("axis_importance", lang),
                performance=t("axis_performance", lang),
                q_concentrate=t("quadrant_concentrate_here", lang),
                q_keep=t("quadrant_keep_up", lang),
                q_low=t("quadrant_low_priority", lang),
                q_overkill=t("quadrant_possible_overkill", lang),
            ),
        )
        top = drivers.priorities(self.ipa, top=3)
        names = [self.data.dimension_label(c, self.lang) for c in top["dimension"]]
        parts.append(figure_html(fig, alt=t("alt_ipa", lang, priorities=self._join(names) or "-")))
        r2 = float(self.importance["r2_share"].sum())
        parts.append(
            views.paragraph(
                t(
                    "reading_drivers",
                    lang,
                    r2=self._fmt(r2 * 100),
                    n=int(self.importance["n"].iloc[0]),
                )
                + " "
                + (
                    t(
                        "reading_priorities",
                        lang,
                        dimensions=t("list_separator", lang).join(names),
                    )
                    if names
                    else t("reading_no_priorities", lang)
                )
            )
        )
        table = pd.DataFrame(
            {
                t("col_dimension", lang): [
                    self.data.dimension_label(c, self.lang) for c in self.ipa["dimension"]
                ],
                t("col_importance", lang): self.ipa["importance"].to_numpy(),
                t("col_index", lang): self.ipa["performance"].to_numpy(),
                t("col_quadrant", lang): [
                    t(f"quadrant_{q}", lang) if isinstance(q, str) else i18n.MISSING
                    for q in self.ipa["quadrant"]
                ],
            }
        )
        parts.append(
            table_html(
                table,
                lang,
                caption=t("caption_drivers", lang),
                number_formats={t("col_importance", lang): 1, t("col_index", lang): 1},
            )
        )
        return parts

    def who_less(self) -> list[HTML]:
        """Satisfaction by respondent group, with tests corrected for multiplicity."""
        lang = self.lang
        parts: list[HTML] = [views.section("q_who_less", lang)]
        gaps = self.segment_gaps
        if gaps.empty:
            parts.append(views.paragraph(t("finding_no_segments", lang)))
            return parts
        chart = gaps.copy()
        chart["segment"] = [segment_label(self.data, s, lang) for s in gaps["segment"]]
        chart["group"] = [
            segment_value_label(self.data, s, g, lang)
            for s, g in zip(gaps["segment"], gaps["group"], strict=True)
        ]
        overall = None if self.suppressed else float(self.outcome["estimate"])
        fig = plots.segment_gaps(
            chart,
            lang,
            overall=overall,
            labels=self._chart_labels(title=t("chart_segments_title", lang)),
        )
        parts.append(figure_html(fig, alt=t("alt_segments", lang)))
        parts.append(views.paragraph(self._segment_sentence()))
        table = pd.DataFrame(
            {
                t("col_segment", lang): chart["segment"].to_numpy(),
                t("col_group", lang): chart["group"].to_numpy(),
                t("col_index", lang): gaps["estimate"].to_numpy(),
                t("col_ci95", lang): [
                    i18n.fmt_interval(lo, hi, 1, lang)
                    for lo, hi in zip(gaps["ci_low"], gaps["ci_high"], strict=True)
                ],
                t("col_gap", lang): gaps["gap"].to_numpy(),
                # One test per segment: its p on the segment's first row only, so that it
                # does not read as if each group's gap were tested on its own.
                t("col_p_adj", lang): [
                    ""
                    if i and seg == prev
                    else (i18n.fmt_p(p) if not _missing(p) else i18n.MISSING)
                    for i, (seg, prev, p) in enumerate(
                        zip(
                            chart["segment"],
                            [None, *chart["segment"].iloc[:-1]],
                            gaps["p_adj"],
                            strict=True,
                        )
                    )
                ],
                t("col_n", lang): gaps["n"].astype(int).to_numpy(),
            }
        )
        parts.append(
            table_html(
                table,
                lang,
                caption=t("caption_segments", lang),
                # The gap is a difference: signed, with a true minus (issue 13).
                number_formats={t("col_index", lang): 1, t("col_gap", lang): i18n.fmt_difference},
                suppressed_mask=gaps["suppressed"].astype(bool).reset_index(drop=True),
                min_report_n=self.data.min_report_n,
            )
        )
        return parts

    def reliability(self) -> list[HTML]:
        """Cronbach's alpha per dimension, margin of error and the detectable change."""
        lang, data = self.lang, self.data
        parts: list[HTML] = [views.section("q_reliable", lang)]
        alpha = self.levels.loc[self.levels["metric"] == "alpha"].set_index("code")
        dims = [c for c in data.dimensions if c in alpha.index]
        table = pd.DataFrame(
            {
                t("col_dimension", lang): [self.data.dimension_label(c, self.lang) for c in dims],
                t("col_alpha", lang): [alpha.loc[c, "estimate"] for c in dims],
                t("col_ci95", lang): [
                    i18n.fmt_interval(alpha.loc[c, "ci_low"], alpha.loc[c, "ci_high"], 2, lang)
                    for c in dims
                ],
                t("col_n", lang): [int(alpha.loc[c, "n"]) for c in dims],
            }
        )
        low = [
            self.data.dimension_label(c, self.lang)
            for c in dims
            if alpha.loc[c, "estimate"] < measures.ALPHA_THRESHOLD
        ]
        parts.append(
            views.paragraph(
                t("reading_alpha_low", lang, dimensions=self._join(low))
                if low
                else t("reading_alpha_ok", lang)
            )
        )
        parts.append(
            table_html(
                table,
                lang,
                caption=t("caption_alpha", lang),
                number_formats={t("col_alpha", lang): 2},
                suppressed_mask=pd.Series([pd.isna(alpha.loc[c, "estimate"]) for c in dims]),
                min_report_n=data.min_report_n,
            )
        )
        parts.append(views.paragraph(self._precision_sentence()))
        return parts

    def precision(self) -> dict[str, float]:
        """Margin of error of the satisfaction top-2-box and the minimum detectable change."""
        outcome = self.responses[self.data.outcome].dropna()
        n = int(outcome.size)
        top2 = _pick(self.levels, self.data.outcome, "top2box")
        p = (top2["estimate"] / 100) if top2 is not None and not _missing(top2["estimate"]) else 0.5
        population = self.data.agency(self.agency_id).get("monthly_beneficiaries")
        population = None if _missing(population) else int(population)
        if n < 2:
            return {"n": n, "moe": math.nan, "mdc": math.nan, "population": population}
        index = measures.to_index(outcome, self.data.scale_min, self.data.scale_max)
        moe = measures.margin_of_error(p, n, population) * 100
        mdc = measures.minimum_detectable_change(n, n, float(np.std(index, ddof=1)))
        return {"n": n, "moe": moe, "mdc": mdc, "population": population}

    def _precision_sentence(self) -> str:
        p = self.precision()
        if _missing(p["moe"]):
            return t("reading_precision_na", self.lang)
        key = "reading_precision_fpc" if p["population"] else "reading_precision"
        return t(
            key,
            self.lang,
            n=p["n"],
            moe=self._fmt(p["moe"]),
            mdc=self._fmt(p["mdc"]),
            population=i18n.fmt_num(p["population"], 0, self.lang, grouping=True)
            if p["population"]
            else "",
        )

    def what_say(self) -> list[HTML]:
        """Free-text comments, masked and escaped."""
        lang = self.lang
        parts: list[HTML] = [views.section("q_what_say", lang)]
        comments = self.responses.get("comment")
        if comments is None:
            parts.append(comments_html([], lang))
            return parts
        written = comments.dropna()
        written = written[written.astype(str).str.strip() != ""]
        shown = comments_to_show(written, lang=lang)
        parts.append(
            views.paragraph(
                t(
                    "reading_comments",
                    lang,
                    shown=len(shown),
                    total=len(written),
                )
            )
        )
        parts.append(comments_html(shown, lang))
        return parts

    def footer(self, params: dict) -> HTML:
        return views.footer(self.data, self.lang, params)

    def methods(self) -> list[HTML]:
        keys = [
            "methods_index",
            "methods_top2box",
            "methods_drivers",
            "methods_segments",
            "methods_comments",
        ]
        return views.methods_note(self.data, self.lang, self.agency_id, keys, [WAVE])

    # --- chart text ----------------------------------------------------------------------

    def _chart_labels(self, **extra: str) -> dict[str, str]:
        lang = self.lang
        labels = {
            "index": t("axis_index", lang),
            "target": t("target", lang),
            "suppressed": i18n.fmt_suppressed(lang, self.data.min_report_n),
            "programme": t("group_programme", lang),
            "comparison": t("group_comparison", lang),
            "percent": t("axis_percent", lang),
            "overall": t("group_overall", lang),
        }
        labels.update(extra)
        return labels

    def _alt_index(self, frame: pd.DataFrame) -> str:
        parts = [
            f"{label} {self._fmt(est)}"
            if not _missing(est)
            else f"{label} {i18n.fmt_suppressed(self.lang, self.data.min_report_n)}"
            for label, est in zip(frame["label"], frame["estimate"], strict=True)
        ]
        return t(
            "alt_index",
            self.lang,
            values=t("list_separator_strong", self.lang).join(parts),
            target=self._fmt(self.data.target_index),
        )

    def _alt_league(self, league: pd.DataFrame) -> str:
        row = league.loc[league["agency_id"] == self.agency_id]
        if row.empty or _missing(row["rank"].iloc[0]):
            return t("alt_league_suppressed", self.lang, total=int(league["rank"].notna().sum()))
        return t(
            "alt_league",
            self.lang,
            rank=int(row["rank"].iloc[0]),
            total=int(league["rank"].notna().sum()),
        )


def results_equal_headline(report: BaselineReport) -> float:
    """The headline satisfaction index exactly as results.csv holds it (for tests)."""
    return float(report.outcome["estimate"]) if not report.suppressed else math.nan


__all__ = [
    "BaselineReport",
    "baseline_levels",
    "baseline_results",
    "likert_distribution",
    "segment_label",
    "segment_value_label",
    "config",
]
