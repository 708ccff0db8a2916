"""User-facing strings of the reports in both languages, and number formatting.

Every word a stakeholder reads comes from :data:`STRINGS` through :func:`t`, so a
wording change is made once and the two languages stay in step (a test checks that
every key has both languages and the same ``{placeholders}``). Numbers are formatted
by the helpers below, which follow the wording rules of REPORTS.md: intervals in
brackets rounded like the estimate, ``p = 0.03`` / ``p < 0.001``, suppressed
estimates as ``n < 10`` / ``ن < 10``, Western digits.

Arabic strings use Arabic punctuation (``،`` ``؛`` ``؟``).
"""

from __future__ import annotations

import math
import string
from decimal import ROUND_HALF_UP, Decimal

import numpy as np
import pandas as pd

LANGUAGES = ("ar", "en")

#: Text direction of each report language (``<html dir=...>``).
DIRECTION = {"ar": "rtl", "en": "ltr"}

#: Shown for a missing value (language-neutral).
MISSING = "—"

#: Left-to-right mark: put before a minus sign in right-to-left text, otherwise the Unicode
#: bidirectional algorithm displays "-3" as "3-" (the minus, a weak character, takes the
#: paragraph's direction); after the mark the number is laid out left to right.
LRM = "\u200e"

STRINGS: dict[str, dict[str, str]] = {
    # --- languages and navigation ------------------------------------------------------
    "language_name": {"en": "English", "ar": "العربية"},
    "other_language_link": {"en": "العربية", "ar": "English"},
    "portal_link": {"en": "All reports", "ar": "جميع التقارير"},
    # --- print and page titles (issue 13) ------------------------------------------------
    "print_page": {"en": "Page {page} of {pages}", "ar": "صفحة {page} من {pages}"},
    "title_separator": {"en": " — ", "ar": " — "},
    # --- the portal (reports/index.html, one section per language) -----------------------
    "portal_title": {"en": "{study}: all reports", "ar": "{study}: جميع التقارير"},
    "portal_intro": {
        "en": "Every report of the study, per agency and phase. Also in:",
        "ar": "جميع تقارير الدراسة لكل جهة ومرحلة. متاحة أيضًا باللغة:",
    },
    "portal_regional": {"en": "Regional summary", "ar": "الملخص الإقليمي"},
    "portal_league": {"en": "League table", "ar": "جدول الترتيب"},
    "portal_agencies": {"en": "Agencies", "ar": "الجهات"},
    "portal_agencies_caption": {
        "en": "Reports by agency and phase",
        "ar": "التقارير حسب الجهة والمرحلة",
    },
    "portal_agency": {"en": "Agency", "ar": "الجهة"},
    "portal_group": {"en": "Group", "ar": "الفئة"},
    "portal_rank": {"en": "Rank [95%]", "ar": "الترتيب [95%]"},
    "portal_baseline": {"en": "Baseline", "ar": "القياس القبلي"},
    "portal_followup": {"en": "Follow-up", "ar": "القياس البعدي"},
    "portal_change": {"en": "Change [interval adjusted like p]", "ar": "التغير [فترة معدّلة مثل p]"},
    "portal_reading": {"en": "Reading (adjusted p)", "ar": "القراءة (p المعدّلة)"},
    "portal_target": {"en": "Target {target}", "ar": "المستهدف {target}"},
    "portal_league_caption": {
        "en": "Satisfaction index at baseline and follow-up, change and rank at follow-up, "
        "best first (rank interval: 95%; agencies with fewer than {n} answers in a wave are "
        "not ranked; p adjusted with Benjamini-Hochberg across the programme agencies, BH, "
        "or for a comparison agency with Holm within it)",
        "ar": "مؤشر الرضا في القياسين القبلي والبعدي، والتغير والترتيب في القياس البعدي، "
        "الأفضل أولًا (فترة الترتيب 95%؛ لا تُرتَّب الجهات التي تقل إجاباتها في أحد القياسين "
        "عن {n}؛ p معدّلة بطريقة بنجاميني-هوشبرغ BH عبر جهات البرنامج، أو بطريقة هولم داخل "
        "جهة المقارنة)",
    },
    "portal_clearly_below": {"en": "clearly below", "ar": "دون المستهدف بوضوح"},
    "portal_below_margin": {
        "en": "below (within the margin)",
        "ar": "دون المستهدف (ضمن هامش الخطأ)",
    },
    "portal_at_or_above": {"en": "at or above", "ar": "يحقق المستهدف"},
    "portal_failed": {"en": "Reports that failed to build", "ar": "تقارير تعذّر إنشاؤها"},
    "portal_failed_kept": {"en": "executed notebook", "ar": "الدفتر المنفَّذ"},
    "portal_league_error": {
        "en": "The league table could not be computed: {error}",
        "ar": "تعذّر حساب جدول الترتيب: {error}",
    },
    "programme_title": {
        "en": "Beneficiary satisfaction programme",
        "ar": "برنامج رفع رضا المستفيدين",
    },
    # --- phases and groups --------------------------------------------------------------
    "phase_baseline": {"en": "Baseline diagnosis", "ar": "التشخيص القبلي"},
    "phase_intervention": {"en": "Intervention", "ar": "مرحلة التدخل"},
    "phase_impact": {"en": "Impact measurement", "ar": "قياس الأثر"},
    "phase_regional": {"en": "Regional summary", "ar": "الملخص الإقليمي"},
    "wave_baseline": {"en": "Baseline", "ar": "القياس القبلي"},
    "wave_followup": {"en": "Follow-up", "ar": "القياس البعدي"},
    "group_programme": {"en": "Programme agency", "ar": "جهة مشمولة بالبرنامج"},
    "group_comparison": {"en": "Comparison agency", "ar": "جهة مقارنة"},
    "stage_before": {"en": "Before the visit", "ar": "قبل الزيارة"},
    "stage_during": {"en": "During the visit", "ar": "أثناء الزيارة"},
    "stage_after": {"en": "After the visit", "ar": "بعد الزيارة"},
    # --- section headings: one question each (REPORTS.md) ------------------------------
    "key_findings": {"en": "Key findings", "ar": "أبرز النتائج"},
    "q_where_stand": {"en": "Where does the agency stand?", "ar": "أين تقف الجهة؟"},
    "q_fall_short": {"en": "Where does the service fall short?", "ar": "أين تقصر الخدمة؟"},
    "q_who_less": {"en": "Who is less satisfied?", "ar": "من الأقل رضا؟"},
    "q_drivers": {
        "en": "What matters most for overall satisfaction?",
        "ar": "ما الأكثر تأثيرًا في الرضا العام؟",
    },
    "q_reliable": {"en": "Are the measures reliable?", "ar": "هل المقاييس موثوقة؟"},
    "q_change": {"en": "Did satisfaction change?", "ar": "هل تغيّر الرضا؟"},
    "q_change_where": {"en": "Which parts of the service changed?", "ar": "أي جوانب الخدمة تغيّرت؟"},
    "nps_label": {"en": "Net Promoter Score (NPS)", "ar": "صافي نقاط الترويج (NPS)"},
    "nps_change_sentence": {
        "en": "The Net Promoter Score (promoters minus detractors, -100 to 100) was {before} "
        "at the baseline and {after} at follow-up: a change of {change} {interval} ({p}).",
        "ar": "بلغ صافي نقاط الترويج (المروّجون ناقص المنتقدين، من \u2066-100\u2069 إلى 100) {before} في "
        "القياس القبلي و{after} في القياس البعدي، بتغير قدره {change} {interval} ({p}).",
    },
    "nps_change_suppressed": {
        "en": "The change of the Net Promoter Score is not shown: fewer than the minimum "
        "number of answers in one wave.",
        "ar": "لا يُعرض تغير صافي نقاط الترويج: عدد الإجابات في أحد القياسين أقل من الحد الأدنى.",
    },
    "caption_nps_change": {
        "en": "Net Promoter Score in both waves and its change (95% Wald intervals; the "
        "change's variance is the sum of the two waves')",
        "ar": "صافي نقاط الترويج في القياسين وتغيره (فترات ثقة 95% بطريقة والد؛ تباين التغير "
        "مجموع تبايني القياسين)",
    },
    "comments_wave_heading": {"en": "{wave} comments", "ar": "التعليقات في {wave}"},
    "next_driver": {
        "en": "Start with {dimension}: it carries {share}% of what explains overall "
        "satisfaction and scores {after} of 100 at follow-up ({change} since the baseline).",
        "ar": "ابدأوا بـ{dimension}: وزنه {share}% في تفسير الرضا العام، وبلغ {after} من 100 "
        "في القياس البعدي ({change} منذ القياس القبلي).",
    },
    "next_last_coach": {
        "en": "Coach staff on the weakest listen-apologise-solve-thank behaviour: "
        "\u201c{item}\u201d scores {after} of 100 ({change} since the baseline).",
        "ar": "درّبوا الموظفين على أضعف سلوكيات الاستماع والاعتذار والحل والشكر: "
        "«{item}» بلغ {after} من 100 ({change} منذ القياس القبلي).",
    },
    "next_last_keep": {
        "en": "Keep up the strongest one: \u201c{item}\u201d scores {after} of 100.",
        "ar": "حافظوا على أقواها: «{item}» بلغ {after} من 100.",
    },
    "next_no_last": {
        "en": "This study has no listen-apologise-solve-thank items; coach staff on the "
        "weakest item of that part instead: \u201c{item}\u201d scores {after} of 100.",
        "ar": "لا تتضمن هذه الدراسة بنود الاستماع والاعتذار والحل والشكر؛ فدرّبوا الموظفين "
        "بدلًا منها على أضعف بنود هذا الجانب: «{item}» بلغ {after} من 100.",
    },
    "next_target_gap": {
        "en": "Overall satisfaction is {after} of 100 against the target of {target}: {gap} to go.",
        "ar": "الرضا العام {after} من 100 والمستهدف {target}: يبقى {gap}.",
    },
    "next_target_met": {
        "en": "Overall satisfaction is {after} of 100, at or above the target of {target}: "
        "keep what works and watch the weakest parts.",
        "ar": "الرضا العام {after} من 100، عند المستهدف {target} أو فوقه: حافظوا على ما نجح "
        "وتابعوا أضعف الجوانب.",
    },
    "next_remeasure": {
        "en": "Measure again with the same questionnaire and at least as many answers "
        "({n} at this follow-up) to see whether these actions work.",
        "ar": "أعيدوا القياس بالاستبانة نفسها وبعدد إجابات لا يقل عن هذا القياس ({n}) "
        "لمعرفة أثر هذه الإجراءات.",
    },
    "q_what_done": {
        "en": "What was done during the intervention?",
        "ar": "ما الذي نُفِّذ خلال مرحلة التدخل؟",
    },
    "q_programme_effect": {
        "en": "Did the programme agencies improve overall?",
        "ar": "هل تحسّنت جهات البرنامج إجمالًا؟",
    },
    "q_compare_agencies": {"en": "How do the agencies compare?", "ar": "كيف تتقارن الجهات؟"},
    "q_what_say": {"en": "What do beneficiaries say?", "ar": "ماذا يقول المستفيدون؟"},
    "q_next_steps": {"en": "What should be done next?", "ar": "ما الخطوات التالية؟"},
    "methods_note": {"en": "Methods note", "ar": "ملاحظة منهجية"},
    # --- methods note ------------------------------------------------------------------
    "methods_sample": {
        "en": "{wave}: {analysed} of {received} interviews were analysed; {excluded} were "
        "excluded by the quality rules (table below).",
        "ar": "{wave}: حُلِّلت {analysed} من أصل {received} مقابلة، واستُبعدت {excluded} وفق "
        "قواعد الجودة (الجدول أدناه).",
    },
    "methods_index": {
        "en": "The satisfaction index rescales each answer to 0-100 ((answer - minimum) / "
        "(maximum - minimum) × 100) and averages over respondents; the 95% interval comes from "
        "the t distribution.",
        "ar": "يحوّل مؤشر الرضا كل إجابة إلى مقياس من 0 إلى 100 ((الإجابة - الحد الأدنى) ÷ "
        "(الحد الأعلى - الحد الأدنى) × 100) ثم يحسب متوسطها على المستجيبين؛ وتُحسب فترة الثقة "
        "95% من توزيع t.",
    },
    "methods_top2box": {
        "en": "Top-2-box is the share of answers at the two highest points of the scale, with "
        "a Wilson 95% interval.",
        "ar": "نسبة أعلى خيارين هي نسبة الإجابات عند أعلى نقطتين في المقياس، مع فترة ثقة "
        "ويلسون 95%.",
    },
    "methods_change": {
        "en": "Changes compare two independent samples: Welch's t-test with its interval, "
        "Hedges' g as the effect size (positive = improvement), and the Mann-Whitney test as a "
        "check; p-values are adjusted with Holm's method within the agency.",
        "ar": "تقارن التغيرات بين عينتين مستقلتين: اختبار ويلش t مع فترة الثقة، وحجم الأثر "
        "Hedges' g (الموجب يعني تحسنًا)، واختبار مان-ويتني للتحقق؛ وعُدّلت قيم p بطريقة هولم "
        "داخل الجهة.",
    },
    "methods_meta": {
        "en": "The programme effect pools the agencies' Hedges' g with a random-effects "
        "meta-analysis (DerSimonian-Laird) and gives a 95% prediction interval for a new agency.",
        "ar": "يجمع أثر البرنامج قيم Hedges' g للجهات بتحليل بعدي بالتأثيرات العشوائية "
        "(ديرسيمونيان-ليرد) مع فترة تنبؤ 95% لجهة جديدة.",
    },
    "methods_suppression": {
        "en": "Estimates based on fewer than {min_n} answers are not shown (n < {min_n}) to "
        "protect respondents; estimates based on fewer than {low_n} answers are marked as low "
        "precision.",
        "ar": "لا تُعرض التقديرات المبنية على أقل من {min_n} إجابات (ن < {min_n}) حمايةً "
        "للمستجيبين، وتوصف التقديرات المبنية على أقل من {low_n} إجابة بأنها منخفضة الدقة.",
    },
    "methods_causal": {
        "en": "Without comparison agencies, a change after the programme cannot be attributed "
        "to the programme alone.",
        "ar": "في غياب جهات مقارنة، لا يمكن نسبة التغير بعد البرنامج إلى البرنامج وحده.",
    },
    "methods_comments": {
        "en": "Comments are shown as written, after phone numbers, ID numbers and e-mail "
        "addresses were removed.",
        "ar": "تُعرض التعليقات كما كُتبت بعد حذف أرقام الهواتف وأرقام الهوية وعناوين البريد "
        "الإلكتروني.",
    },
    # --- table headers -----------------------------------------------------------------
    "col_agency": {"en": "Agency", "ar": "الجهة"},
    "col_item": {"en": "Item", "ar": "البند"},
    "col_dimension": {"en": "Dimension", "ar": "المحور"},
    "col_stage": {"en": "Stage", "ar": "المرحلة"},
    "col_segment": {"en": "Characteristic", "ar": "الخاصية"},
    "col_wave": {"en": "Wave", "ar": "القياس"},
    "col_index": {"en": "Index (0-100)", "ar": "المؤشر (0-100)"},
    "col_ci95": {"en": "95% interval", "ar": "فترة الثقة 95%"},
    "col_n": {"en": "n", "ar": "ن"},
    "col_top2box": {"en": "Top-2-box (%)", "ar": "نسبة أعلى خيارين (%)"},
    "col_nps": {"en": "NPS", "ar": "صافي نقاط الترويج"},
    "col_alpha": {"en": "Cronbach's alpha", "ar": "معامل ألفا كرونباخ"},
    "col_baseline": {"en": "Baseline", "ar": "القبلي"},
    "col_followup": {"en": "Follow-up", "ar": "البعدي"},
    "col_change": {"en": "Change", "ar": "التغير"},
    "col_hedges_g": {"en": "Hedges' g", "ar": "حجم الأثر (g)"},
    "col_p": {"en": "p", "ar": "p"},
    "col_p_adj": {"en": "p (adjusted)", "ar": "p (بعد التعديل)"},
    "col_verdict": {"en": "Reading", "ar": "القراءة"},
    "col_importance": {"en": "Importance (%)", "ar": "الأهمية (%)"},
    "col_gap": {"en": "Gap", "ar": "الفجوة"},
    "col_received": {"en": "Received", "ar": "المستلمة"},
    "col_analysed": {"en": "Analysed", "ar": "المحلَّلة"},
    "col_excluded": {"en": "Excluded", "ar": "المستبعدة"},
    "col_date": {"en": "Date", "ar": "التاريخ"},
    "col_activity": {"en": "Activity", "ar": "النشاط"},
    "col_staff_trained": {"en": "Staff trained", "ar": "الموظفون المدرَّبون"},
    "col_hours": {"en": "Hours", "ar": "الساعات"},
    "col_coverage": {"en": "Coverage (%)", "ar": "نسبة التغطية (%)"},
    # --- exclusion reasons (config.EXCLUSION_REASONS) -----------------------------------
    "reason_preview": {"en": "Preview by the survey team", "ar": "معاينة من فريق الاستبانة"},
    "reason_test": {"en": "Test response", "ar": "استجابة تجريبية"},
    "reason_spam": {"en": "Flagged as spam by the platform", "ar": "صنّفتها المنصة رسائل مزعجة"},
    "reason_incomplete": {"en": "Not finished", "ar": "استجابة غير مكتملة"},
    "reason_duplicate": {"en": "Duplicate response id", "ar": "رقم استجابة مكرر"},
    "reason_empty": {"en": "No item answered", "ar": "لا إجابة على أي بند"},
    "reason_speeder": {"en": "Too fast", "ar": "سرعة مفرطة في الإجابة"},
    "reason_straightliner": {"en": "Same answer throughout", "ar": "إجابة واحدة لكل البنود"},
    "reason_outside_fieldwork": {
        "en": "Date outside fieldwork",
        "ar": "تاريخ خارج فترة العمل الميداني",
    },
    # --- numbers and wording rules --------------------------------------------------------
    "suppressed": {"en": "n < {min_n}", "ar": "ن < {min_n}"},
    "low_precision": {
        "en": "low precision (fewer than {low_n} answers)",
        "ar": "دقة منخفضة (أقل من {low_n} إجابة)",
    },
    "of_100": {"en": "{value} of 100", "ar": "{value} من 100"},
    "target": {"en": "target", "ar": "المستهدف"},
    "above_target": {"en": "above the target of {target}", "ar": "أعلى من المستهدف {target}"},
    "below_target": {"en": "below the target of {target}", "ar": "أقل من المستهدف {target}"},
    "at_target": {"en": "at the target of {target}", "ar": "عند المستهدف {target}"},
    "verdict_improved": {"en": "improved", "ar": "تحسّن"},
    "verdict_no_clear_change": {"en": "no clear change", "ar": "لا تغير واضح"},
    "verdict_declined": {"en": "declined", "ar": "تراجع"},
    "effect_negligible": {"en": "negligible", "ar": "ضئيل"},
    "effect_small": {"en": "small", "ar": "صغير"},
    "effect_moderate": {"en": "moderate", "ar": "متوسط"},
    "effect_large": {"en": "large", "ar": "كبير"},
    # --- comments ------------------------------------------------------------------------
    "no_comments": {"en": "No comments were written.", "ar": "لم تُكتب أي تعليقات."},
    "mask_phone": {"en": "[phone number]", "ar": "[رقم هاتف]"},
    "mask_national_id": {"en": "[ID number]", "ar": "[رقم هوية]"},
    "mask_number": {"en": "[number]", "ar": "[رقم]"},
    "mask_email": {"en": "[e-mail]", "ar": "[بريد إلكتروني]"},
    # --- provenance footer -----------------------------------------------------------------
    "about_report": {"en": "About this report", "ar": "عن هذا التقرير"},
    "prov_study": {"en": "Study", "ar": "الدراسة"},
    "prov_data_files": {"en": "Data files (SHA-256)", "ar": "ملفات البيانات (SHA-256)"},
    "prov_file": {"en": "File", "ar": "الملف"},
    "prov_hash": {"en": "SHA-256", "ar": "SHA-256"},
    "prov_parameters": {"en": "Parameters", "ar": "المعاملات"},
    "prov_parameter": {"en": "Parameter", "ar": "المعامل"},
    "prov_value": {"en": "Value", "ar": "القيمة"},
    "prov_code_version": {"en": "Code version", "ar": "إصدار الشيفرة"},
    "prov_packages": {"en": "Package versions", "ar": "إصدارات الحزم"},
    "prov_package": {"en": "Package", "ar": "الحزمة"},
    "prov_version": {"en": "Version", "ar": "الإصدار"},
    "prov_unknown": {"en": "unknown", "ar": "غير معروف"},
    "prov_reproducible": {
        "en": "Rebuilding from the same data, parameters and code gives this same file.",
        "ar": "إعادة البناء من البيانات والمعاملات والشيفرة نفسها تعطي هذا الملف نفسه.",
    },  # --- baseline report: findings (each with a number and its uncertainty) ---------------
    "fieldwork_line": {
        "en": "{wave} fieldwork: {start} to {end}",
        "ar": "العمل الميداني ({wave}): من {start} إلى {end}",
    },
    "standards_lead": {"en": "Minimum standards: {items}.", "ar": "المعايير الدنيا: {items}."},
    "list_separator_strong": {"en": "; ", "ar": "؛ "},
    "standard_met": {
        "en": "{dimension} {value} {interval} meets the standard of {standard}",
        "ar": "{dimension} {value} {interval} يحقق المعيار {standard}",
    },
    "standard_below": {
        "en": "{dimension} {value} {interval} is below the standard of {standard}",
        "ar": "{dimension} {value} {interval} دون المعيار {standard}",
    },
    "standard_margin": {
        "en": "{dimension} {value} {interval} is within the margin of error of the standard "
        "of {standard}",
        "ar": "{dimension} {value} {interval} ضمن هامش الخطأ من المعيار {standard}",
    },
    "impact_target_followup": {
        "en": "At follow-up the satisfaction index is {index}, {target}.",
        "ar": "بلغ مؤشر الرضا في القياس البعدي {index}، {target}.",
    },
    "regional_below_standard": {
        "en": "Below a minimum standard at follow-up (the whole interval under it): {items}.",
        "ar": "دون معيار أدنى في القياس البعدي (الفترة كلها دونه): {items}.",
    },
    "regional_none_below_standard": {
        "en": "No agency is clearly below a minimum standard at follow-up.",
        "ar": "لا توجد جهة دون معيار أدنى بوضوح في القياس البعدي.",
    },
    "around_target": {
        "en": "not clearly different from the target of {target}",
        "ar": "دون فرق واضح عن المستهدف {target}",
    },
    "finding_satisfaction": {
        "en": "Overall satisfaction is {index}, {target} ({n} answers).",
        "ar": "الرضا العام {index}، {target} ({n} إجابة).",
    },
    "finding_too_few": {
        "en": "Only {n} interviews could be analysed, fewer than the {min_n} needed to report "
        "results; the estimates of this report are suppressed.",
        "ar": "لم يُحلَّل سوى {n} مقابلة، وهو أقل من {min_n} اللازمة لنشر النتائج؛ لذلك حُجبت "
        "تقديرات هذا التقرير.",
    },
    "finding_rank": {
        "en": "The agency ranks {rank} of {total} agencies on satisfaction; given the "
        "uncertainty of every estimate its rank could plausibly be anywhere from {low} to {high}.",
        "ar": "تحتل الجهة المرتبة {rank} من {total} جهة في الرضا العام؛ ومع هامش عدم اليقين في "
        "كل تقدير قد تقع مرتبتها بين {low} و{high}.",
    },
    "finding_weakest": {
        "en": "The weakest part of the service journey is {weak} at {weak_index}; the strongest "
        "is {strong} at {strong_index}.",
        "ar": "أضعف مراحل رحلة الخدمة هي {weak} بمؤشر {weak_index}؛ وأقواها {strong} "
        "بمؤشر {strong_index}.",
    },
    "finding_priority": {
        "en": "Priority for action: {dimension}, which matters most for overall satisfaction "
        "({share}% of the explained variation) while scoring below the agency's average.",
        "ar": "أولوية التحسين: {dimension}، فهي الأكثر تأثيرًا في الرضا العام ({share}% من "
        "التباين المفسَّر) وأداؤها أدنى من متوسط الجهة.",
    },
    "finding_gap": {
        "en": "By {segment}, the group \u201c{group}\u201d is less satisfied than the others, by "
        "{gap} points {interval} ({p}, corrected for multiple comparisons).",
        "ar": "حسب {segment}، فئة \u00ab{group}\u00bb أقل رضا من غيرها بفارق {gap} نقطة {interval} "
        "({p} بعد التصحيح للمقارنات المتعددة).",
    },
    "finding_no_gap": {
        "en": "No group of beneficiaries (by gender, age, nationality, channel or visit) is "
        "clearly less satisfied than the others.",
        "ar": "لا توجد فئة من المستفيدين (حسب الجنس أو العمر أو الجنسية أو القناة أو نوع "
        "الزيارة) أقل رضا بشكل واضح من غيرها.",
    },
    "finding_no_segments": {
        "en": "The study records no respondent groups, so gaps between groups are not shown.",
        "ar": "لا تتضمن الدراسة فئات للمستفيدين، لذلك لا تُعرض الفروق بين الفئات.",
    },
    "group_overall": {"en": "Overall satisfaction", "ar": "الرضا العام"},
    # --- baseline report: charts ----------------------------------------------------------
    "axis_index": {"en": "Index (0-100)", "ar": "المؤشر (0-100)"},
    "axis_percent": {"en": "Share of answers (%)", "ar": "نسبة الإجابات (%)"},
    "axis_importance": {
        "en": "Importance (share of explained variation, %)",
        "ar": "الأهمية (نسبة التباين المفسَّر، %)",
    },
    "axis_performance": {"en": "Performance (index 0-100)", "ar": "الأداء (المؤشر 0-100)"},
    "chart_index_title": {
        "en": "Satisfaction and the service journey, with 95% intervals",
        "ar": "الرضا العام ومراحل رحلة الخدمة مع فترات ثقة 95%",
    },
    "chart_league_title": {
        "en": "Overall satisfaction of every agency at baseline",
        "ar": "الرضا العام لجميع الجهات في القياس القبلي",
    },
    "chart_likert_title": {
        "en": "Answers to each question, by stage of the visit",
        "ar": "الإجابات على كل سؤال حسب مرحلة الزيارة",
    },
    "chart_ipa_title": {
        "en": "Importance and performance of each part of the service",
        "ar": "أهمية كل جانب من جوانب الخدمة وأداؤه",
    },
    "chart_segments_title": {
        "en": "Overall satisfaction by group of beneficiaries",
        "ar": "الرضا العام حسب فئات المستفيدين",
    },
    "quadrant_concentrate_here": {"en": "Concentrate here", "ar": "ركّز هنا"},
    "quadrant_keep_up": {"en": "Keep up the good work", "ar": "حافظ على الأداء"},
    "quadrant_low_priority": {"en": "Low priority", "ar": "أولوية منخفضة"},
    "quadrant_possible_overkill": {"en": "Possible overkill", "ar": "جهد قد يفوق الحاجة"},
    "alt_index": {
        "en": "Dot chart of the 0-100 indices with 95% intervals and the target of {target}: "
        "{values}.",
        "ar": "مخطط نقطي للمؤشرات (0-100) مع فترات ثقة 95% والمستهدف {target}: {values}.",
    },
    "alt_league": {
        "en": "League chart of the agencies' overall satisfaction with 95% intervals; this "
        "agency is highlighted at rank {rank} of {total}.",
        "ar": "مخطط ترتيب الجهات حسب الرضا العام مع فترات ثقة 95%؛ الجهة مميزة في المرتبة "
        "{rank} من {total}.",
    },
    "alt_league_suppressed": {
        "en": "League chart of {total} agencies' overall satisfaction; this agency has too "
        "few answers to be ranked.",
        "ar": "مخطط ترتيب {total} جهة حسب الرضا العام؛ إجابات هذه الجهة أقل من أن تُرتَّب.",
    },
    "alt_likert": {
        "en": "Diverging stacked bars of the answers to each question, grouped by stage; the "
        "weakest questions are: {items}.",
        "ar": "أشرطة متباعدة للإجابات على كل سؤال مجمعة حسب المرحلة؛ أضعف الأسئلة: {items}.",
    },
    "alt_ipa": {
        "en": "Scatter of importance against performance for each part of the service; "
        "priorities: {priorities}.",
        "ar": "مخطط انتشار للأهمية مقابل الأداء لكل جانب من الخدمة؛ الأولويات: {priorities}.",
    },
    "alt_segments": {
        "en": "Dot chart of overall satisfaction for each group of beneficiaries with 95% "
        "intervals.",
        "ar": "مخطط نقطي للرضا العام لكل فئة من المستفيدين مع فترات ثقة 95%.",
    },
    # --- baseline report: readings and captions --------------------------------------------
    "reading_weakest_items": {
        "en": "The lowest-rated questions are: {items}.",
        "ar": "الأسئلة الأدنى تقييمًا: {items}.",
    },
    "reading_drivers": {
        "en": "Together the parts of the service explain {r2}% of the variation in overall "
        "satisfaction ({n} complete answers).",
        "ar": "تفسر جوانب الخدمة مجتمعة {r2}% من التباين في الرضا العام ({n} إجابة مكتملة).",
    },
    "reading_priorities": {
        "en": "Improving {dimensions} is likely to raise satisfaction the most.",
        "ar": "تحسين {dimensions} هو الأرجح لرفع الرضا أكثر من غيره.",
    },
    "reading_no_priorities": {
        "en": "No part of the service is both important and below the agency's average.",
        "ar": "لا يوجد جانب من الخدمة مهم وأداؤه دون متوسط الجهة في آن واحد.",
    },
    "reading_drivers_too_few": {
        "en": "Too few complete answers to estimate what drives overall satisfaction.",
        "ar": "الإجابات المكتملة أقل من أن تسمح بتقدير محركات الرضا العام.",
    },
    "reading_alpha_ok": {
        "en": "Every part of the service is measured consistently (Cronbach's alpha of at "
        "least 0.7).",
        "ar": "تُقاس جميع جوانب الخدمة بثبات كافٍ (معامل ألفا كرونباخ 0.7 فأكثر).",
    },
    "reading_alpha_low": {
        "en": "Read with care: the questions of {dimensions} agree less than usual "
        "(Cronbach's alpha below 0.7).",
        "ar": "تُقرأ بحذر: أسئلة {dimensions} أقل اتساقًا من المعتاد (معامل ألفا كرونباخ أقل "
        "من 0.7).",
    },
    "reading_precision": {
        "en": "With {n} answers, the share of satisfied beneficiaries is known to within "
        "±{moe} percentage points; the follow-up survey, at the same size, can detect a change "
        "of about {mdc} index points or more.",
        "ar": "مع {n} إجابة تُعرف نسبة الراضين بهامش خطأ ±{moe} نقطة مئوية؛ ويستطيع القياس "
        "البعدي بالحجم نفسه رصد تغير يقارب {mdc} نقطة في المؤشر أو أكثر.",
    },
    "reading_precision_fpc": {
        "en": "With {n} answers from about {population} beneficiaries a month, the share of "
        "satisfied beneficiaries is known to within ±{moe} percentage points; the follow-up "
        "survey, at the same size, can detect a change of about {mdc} index points or more.",
        "ar": "مع {n} إجابة من نحو {population} مستفيد شهريًا تُعرف نسبة الراضين بهامش خطأ "
        "±{moe} نقطة مئوية؛ ويستطيع القياس البعدي بالحجم نفسه رصد تغير يقارب {mdc} نقطة في "
        "المؤشر أو أكثر.",
    },
    "reading_precision_na": {
        "en": "Too few answers to state the precision of the estimates.",
        "ar": "الإجابات أقل من أن تسمح ببيان دقة التقديرات.",
    },
    "reading_comments": {
        "en": "{shown} of {total} written comments, with personal data removed:",
        "ar": "{shown} من أصل {total} تعليقًا مكتوبًا بعد حذف البيانات الشخصية:",
    },
    "caption_items": {
        "en": "Index, 95% interval and top-2-box share of each question",
        "ar": "المؤشر وفترة الثقة 95% ونسبة أعلى خيارين لكل سؤال",
    },
    "caption_drivers": {
        "en": "Importance and performance of each part of the service",
        "ar": "أهمية كل جانب من جوانب الخدمة وأداؤه",
    },
    "caption_segments": {
        "en": "Overall satisfaction by group, gap to the other groups and Holm-adjusted p-value",
        "ar": "الرضا العام حسب الفئة والفرق عن بقية الفئات والقيمة الاحتمالية المعدلة بطريقة هولم",
    },
    "caption_alpha": {
        "en": "Internal consistency of each part of the service (Cronbach's alpha)",
        "ar": "الاتساق الداخلي لكل جانب من جوانب الخدمة (معامل ألفا كرونباخ)",
    },
    "col_count": {"en": "Interviews", "ar": "المقابلات"},
    "caption_ledger": {
        "en": "Interviews received, excluded by reason, and analysed",
        "ar": "المقابلات المستلمة والمستبعدة حسب السبب والمحللة",
    },
    "col_group": {"en": "Group", "ar": "الفئة"},
    "col_quadrant": {"en": "Where it falls", "ar": "الموقع في المصفوفة"},
    "methods_drivers": {
        "en": "What matters most is the share of the explained variation in overall "
        "satisfaction that each part of the service accounts for (LMG / Shapley decomposition "
        "of R² of a linear regression on the parts' scores).",
        "ar": "الأكثر تأثيرًا يُقاس بحصة كل جانب من التباين المفسَّر في الرضا العام (تفكيك "
        "LMG / شابلي لمعامل التحديد R² في انحدار خطي على درجات الجوانب).",
    },
    "methods_segments": {
        "en": "Groups are compared with Welch's t-test (two groups) or Welch's ANOVA (more "
        "groups); p-values are adjusted with Holm's method across the groups compared.",
        "ar": "تُقارن الفئات باختبار ويلش (فئتان) أو تحليل التباين لويلش (أكثر من فئتين)، وتُعدَّل "
        "القيم الاحتمالية بطريقة هولم عبر المقارنات.",
    },
    # --- impact report ---------------------------------------------------------------------
    "impact_too_few": {
        "en": "The change cannot be reported for this agency: {n_before} baseline and {n_after} "
        "follow-up answers were analysed, and each wave needs at least {min_n}. The agency is "
        "left out of the programme-level analysis.",
        "ar": "لا يمكن عرض التغير لهذه الجهة: حُلِّلت {n_before} إجابة في القياس القبلي و{n_after} "
        "في القياس البعدي، ويلزم {min_n} على الأقل في كل قياس. لذلك استُبعدت الجهة من التحليل "
        "على مستوى البرنامج.",
    },
    "impact_headline_up": {
        "en": "Satisfaction rose from {before} to {after}: a change of {change} "
        "{interval} ({p}, {adjusted}).",
        "ar": "ارتفع الرضا من {before} إلى {after}: تغير قدره {change} {interval} ({p} "
        "{adjusted}).",
    },
    "impact_headline_down": {
        "en": "Satisfaction fell from {before} to {after}: a change of {change} "
        "{interval} ({p}, {adjusted}).",
        "ar": "انخفض الرضا من {before} إلى {after}: تغير قدره {change} {interval} ({p} "
        "{adjusted}).",
    },
    "impact_headline_flat": {
        "en": "No clear change in satisfaction: {before} at baseline and {after} at "
        "follow-up, a change of {change} {interval} ({p}, {adjusted}).",
        "ar": "لا تغير واضح في الرضا: {before} في القياس القبلي و{after} في القياس البعدي، "
        "بتغير قدره {change} {interval} ({p} {adjusted}).",
    },
    "adjusted_across_programme": {
        "en": "adjusted across the programme agencies",
        "ar": "بعد التعديل عبر الجهات المشمولة بالبرنامج",
    },
    "adjusted_within_agency": {
        "en": "adjusted within the agency",
        "ar": "بعد التعديل داخل الجهة",
    },
    "impact_effect_size": {
        "en": "The size of the change is {size} (Hedges' g = {g} {interval}).",
        "ar": "حجم التغير {size} (\u2066Hedges' g = {g} {interval}\u2069).",
    },
    "impact_where_best": {
        "en": "The largest change was in {dimension}: {change} {interval}; {clear} of "
        "{total} parts of the service improved clearly after correction for multiple "
        "comparisons.",
        "ar": "أكبر تغير كان في {dimension}: {change} {interval}؛ وتحسّن بوضوح {clear} من "
        "أصل {total} جوانب للخدمة بعد التصحيح للمقارنات المتعددة.",
    },
    "impact_where_declines": {
        "en": "Clear declines: {dimensions}.",
        "ar": "تراجع واضح في: {dimensions}.",
    },
    "impact_where_none": {
        "en": "Too few answers to compare the parts of the service.",
        "ar": "الإجابات أقل من أن تسمح بمقارنة جوانب الخدمة.",
    },
    "impact_did": {
        "en": "Comparison agencies, which did not receive the programme, changed by "
        "{comparison} points on average ({k} agencies); this agency's change minus "
        "theirs is {did} points {interval}.",
        "ar": "تغيرت جهات المقارنة التي لم يشملها البرنامج بمتوسط {comparison} نقطة ({k} "
        "جهات)؛ ويبلغ تغير هذه الجهة مطروحًا منه تغيرها {did} نقطة {interval}.",
    },
    "impact_no_comparison": {
        "en": "Without comparison agencies, this change happened after the programme but cannot "
        "be attributed to it alone.",
        "ar": "في غياب جهات مقارنة، حدث هذا التغير بعد البرنامج لكن لا يمكن نسبته إليه وحده.",
    },
    "impact_one_comparison": {
        "en": "With a single comparison agency, the comparison cannot tell the programme's effect "
        "from that agency's own circumstances (it needs at least 2): this change happened "
        "after the programme but cannot be attributed to it alone.",
        "ar": "مع جهة مقارنة واحدة لا تفصل المقارنة أثر البرنامج عن ظروف تلك الجهة "
        "(تتطلب جهتين على الأقل)؛ حدث هذا التغير بعد البرنامج لكن لا يمكن نسبته إليه وحده.",
    },
    "impact_mix_dropped": {
        "en": "Some baseline respondents belong to a group that no follow-up respondent belongs "
        "to ({groups}); no weighting can represent them, so the reweighting uses the baseline "
        "mix of the other groups.",
        "ar": "بعض مستجيبي القياس القبلي ينتمون إلى فئة لا ينتمي إليها أي من مستجيبي القياس "
        "البعدي ({groups})؛ ولا يمكن لأي ترجيح تمثيلهم، لذلك يعتمد الترجيح على تركيبة "
        "الفئات الأخرى في القياس القبلي.",
    },
    "segment_not_stated": {"en": "not stated", "ar": "غير مذكور"},
    "list_separator": {"en": ", ", "ar": "، "},
    "impact_mix_same": {
        "en": "The mix of respondents was similar in both waves; reweighted to the baseline mix "
        "the change is {change} points {interval}.",
        "ar": "كان تركيب المستجيبين متشابهًا في القياسين؛ وبعد إعادة الترجيح إلى تركيب القياس "
        "القبلي يبلغ التغير {change} نقطة {interval}.",
    },
    "impact_mix_changed": {
        "en": "The mix of respondents changed ({segments}); reweighted to the baseline mix the "
        "change is {change} points {interval} (effective sample {n_eff} of {n}).",
        "ar": "تغير تركيب المستجيبين ({segments})؛ وبعد إعادة الترجيح إلى تركيب القياس القبلي "
        "يبلغ التغير {change} نقطة {interval} (الحجم الفعلي للعينة {n_eff} من {n}).",
    },
    "q_mix": {"en": "Did the respondents change?", "ar": "هل تغيّر المستجيبون؟"},
    "q_against_comparison": {
        "en": "How does the change compare with other agencies?",
        "ar": "كيف يُقارن التغير بالجهات الأخرى؟",
    },
    "chart_dumbbell_title": {
        "en": "Satisfaction and the parts of the service, baseline and follow-up",
        "ar": "الرضا العام وجوانب الخدمة في القياسين القبلي والبعدي",
    },
    "chart_likert_change_title": {
        "en": "Answers to each question at baseline and follow-up",
        "ar": "الإجابات على كل سؤال في القياسين القبلي والبعدي",
    },
    "chart_change_league_title": {
        "en": "Change in overall satisfaction of every agency",
        "ar": "التغير في الرضا العام لجميع الجهات",
    },
    "axis_change": {"en": "Change in index points", "ar": "التغير بنقاط المؤشر"},
    "alt_dumbbell": {
        "en": "Dumbbell chart of the index at baseline and follow-up with 95% intervals: {values}.",
        "ar": "مخطط يوضح المؤشر في القياسين القبلي والبعدي مع فترات ثقة 95%: {values}.",
    },
    "alt_likert_change": {
        "en": "Diverging stacked bars of the answers to each question at baseline and follow-up.",
        "ar": "أشرطة متباعدة للإجابات على كل سؤال في القياسين القبلي والبعدي.",
    },
    "alt_change_league": {
        "en": "Dot chart of every agency's change in overall satisfaction with 95% intervals, "
        "programme and comparison agencies in two colours, this agency highlighted.",
        "ar": "مخطط نقطي للتغير في الرضا العام لكل جهة مع فترات ثقة 95%، بلونين لجهات البرنامج "
        "وجهات المقارنة، مع تمييز هذه الجهة.",
    },
    "caption_change_dimensions": {
        "en": "Change in overall satisfaction and in each part of the service",
        "ar": "التغير في الرضا العام وفي كل جانب من جوانب الخدمة",
    },
    "caption_detail_dimensions": {
        "en": "Size of the change, rank test and share who agree: overall satisfaction and each "
        "part of the service",
        "ar": "حجم التغير واختبار الرتب ونسبة الموافقين: الرضا العام وكل جانب من جوانب الخدمة",
    },
    "caption_detail_items": {
        "en": "Size of the change, rank test and share who agree: each question",
        "ar": "حجم التغير واختبار الرتب ونسبة الموافقين: كل سؤال",
    },
    "col_g_ci": {"en": "Hedges' g [95% interval]", "ar": "حجم الأثر g [فترة 95%]"},
    "col_mwu_p": {"en": "Mann-Whitney p", "ar": "p (مان-ويتني)"},
    "col_top2box_diff": {
        "en": "Change in share who agree, points [95% interval]",
        "ar": "التغير في نسبة الموافقين، بالنقاط [فترة 95%]",
    },
    "driver_rows_heading": {"en": "Key drivers (importance)", "ar": "محركات الرضا (الأهمية)"},
    "chart_driver_change_title": {
        "en": "Change in each driver of satisfaction, most important first",
        "ar": "التغير في كل محرك من محركات الرضا، الأهم أولًا",
    },
    "label_no_change": {"en": "no change", "ar": "لا تغير"},
    "alt_driver_change": {
        "en": "Dot chart of the change in index points of each part of the service with its "
        "95% interval, ordered by its importance for overall satisfaction at baseline: "
        "{values}.",
        "ar": "مخطط نقطي للتغير بنقاط المؤشر في كل جانب من جوانب الخدمة مع فترة الثقة 95%، "
        "مرتبة حسب أهميتها للرضا العام في القياس القبلي: {values}.",
    },
    "driver_change_note": {
        "en": "The parts of the service are ordered by how much of overall satisfaction they "
        "explained at baseline (key drivers, in brackets): a rise in the first ones moves "
        "overall satisfaction most.",
        "ar": "رُتّبت جوانب الخدمة حسب مقدار ما فسّرته من الرضا العام في القياس القبلي "
        "(محركات الرضا الرئيسية، بين القوسين): فالتحسن في أولها هو الأكثر تأثيرًا في الرضا "
        "العام.",
    },
    "caption_change_items": {
        "en": "Change in each question",
        "ar": "التغير في كل سؤال",
    },
    "caption_mix": {
        "en": "Respondents by group in each wave (chi-square test of the change in mix)",
        "ar": "المستجيبون حسب الفئة في كل قياس (اختبار مربع كاي للتغير في التركيب)",
    },
    "col_change_ci": {"en": "Change [95% interval]", "ar": "التغير [فترة الثقة 95%]"},
    "col_change_adj_ci": {
        "en": "Change [interval adjusted like p]",
        "ar": "التغير [الفترة معدلةً مثل p]",
    },
    "col_share_baseline": {"en": "Baseline (%)", "ar": "القبلي (%)"},
    "col_share_followup": {"en": "Follow-up (%)", "ar": "البعدي (%)"},
    "col_diff_pp": {"en": "Difference (points)", "ar": "الفرق (نقاط)"},
    "reading_did": {
        "en": "Against the {k} comparison agencies, this agency's change minus theirs is "
        "{did} points {interval} (difference-in-differences).",
        "ar": "مقارنة بـ{k} جهات مقارنة، يبلغ تغير هذه الجهة مطروحًا منه تغيرها {did} نقطة "
        "{interval} (الفرق في الفروق).",
    },
    "reading_is_comparison": {
        "en": "This is a comparison agency: it did not receive the programme, and its change "
        "shows how satisfaction moved without it.",
        "ar": "هذه جهة مقارنة لم يشملها البرنامج، ويبيّن تغيرها كيف تحرك الرضا من دونه.",
    },
    "methods_impact_adjust": {
        "en": "The headline change is adjusted for the number of programme agencies compared "
        "(Benjamini-Hochberg across the programme agencies only: the comparison "
        "agencies are the control, not tested for a programme effect, so they are not "
        "in this family); the changes of the parts of the service and of the questions "
        "are adjusted within the agency (Holm). One rule for every verdict: a change is called "
        "an improvement or a decline only when the interval shown beside it excludes zero; where "
        "the p-value is adjusted, the interval shown is adjusted the same way (the interval at the "
        "confidence level the adjusted test uses, 1 - 0.05 x p / adjusted p), so it excludes zero "
        "exactly when the adjusted p-value is below 0.05. Such an interval is wider than the "
        "plain 95% interval of results.csv.",
        "ar": "يُعدَّل التغير الرئيسي لعدد الجهات المشمولة بالبرنامج (بنجاميني-هوشبرغ على "
        "الجهات المشمولة بالبرنامج وحدها: فجهات المقارنة هي الضابط ولا تُختبر لأثر "
        "البرنامج، لذلك لا تدخل في هذه المجموعة)، وتُعدَّل تغيرات جوانب الخدمة والأسئلة "
        "داخل الجهة (هولم). وقاعدة الحكم واحدة في التقرير كله: لا يوصف التغير بالتحسن أو التراجع "
        "إلا إذا استبعدت الفترة المعروضة بجانبه الصفر؛ وحيث تُعدَّل القيمة الاحتمالية تُعدَّل "
        "الفترة المعروضة بالطريقة نفسها (الفترة عند مستوى الثقة الذي يستعمله الاختبار المعدل، "
        "1 − 0.05 × p ÷ p المعدلة)، فتستبعد الصفر إذا كانت القيمة الاحتمالية المعدلة أقل من "
        "0.05 وحدها. وهذه الفترة أعرض من فترة الثقة 95% غير المعدلة في results.csv.",
    },
    "methods_impact_adjust_comparison": {
        "en": "This is a comparison agency: it is the control of the programme comparison, "
        "not tested for a programme effect, so it is outside the Benjamini-Hochberg "
        "adjustment across the programme agencies; its changes, the headline included, "
        "are adjusted within the agency (Holm). One rule for every verdict: a change is called "
        "an improvement or a decline only when the interval shown beside it excludes zero; where "
        "the p-value is adjusted, the interval shown is adjusted the same way (the interval at the "
        "confidence level the adjusted test uses, 1 - 0.05 x p / adjusted p), so it excludes zero "
        "exactly when the adjusted p-value is below 0.05. Such an interval is wider than the "
        "plain 95% interval of results.csv.",
        "ar": "هذه جهة مقارنة: فهي الضابط في المقارنة مع البرنامج ولا تُختبر لأثر البرنامج، "
        "لذلك لا تدخل في تعديل بنجاميني-هوشبرغ على الجهات المشمولة بالبرنامج، وتُعدَّل "
        "تغيراتها، ومنها التغير الرئيسي، "
        "داخل الجهة (هولم). وقاعدة الحكم واحدة في التقرير كله: لا يوصف التغير بالتحسن أو التراجع "
        "إلا إذا استبعدت الفترة المعروضة بجانبه الصفر؛ وحيث تُعدَّل القيمة الاحتمالية تُعدَّل "
        "الفترة المعروضة بالطريقة نفسها (الفترة عند مستوى الثقة الذي يستعمله الاختبار المعدل، "
        "1 − 0.05 × p ÷ p المعدلة)، فتستبعد الصفر إذا كانت القيمة الاحتمالية المعدلة أقل من "
        "0.05 وحدها. وهذه الفترة أعرض من فترة الثقة 95% غير المعدلة في results.csv.",
    },
    "methods_interval_change": {
        "en": "The 95% interval of an agency's change is built to cover, in 95 of 100 "
        "repeated surveys, that agency's true change: the change in the average answer "
        "of all its beneficiaries, not only of those interviewed.",
        "ar": "فترة الثقة 95% لتغير الجهة مصمَّمة لتغطي في 95 من كل 100 مسح مكرر التغيرَ "
        "الحقيقي لتلك الجهة: أي التغير في متوسط إجابات جميع مستفيديها لا المستجيبين "
        "فقط.",
    },
    "methods_mix": {
        "en": "To separate a change in who answered from a change in satisfaction, the follow-up "
        "respondents are reweighted (raking) to the baseline mix of gender, age, nationality, "
        "channel and visit; the effective sample size shows the cost of the weights.",
        "ar": "لفصل تغير هوية المستجيبين عن تغير الرضا، يُعاد ترجيح مستجيبي القياس البعدي "
        "(بطريقة الترجيح التكراري) إلى تركيب القياس القبلي حسب الجنس والعمر والجنسية والقناة "
        "ونوع الزيارة؛ ويبيّن الحجم الفعلي للعينة كلفة الأوزان.",
    },
    "methods_did": {
        "en": "The difference-in-differences subtracts the comparison agencies' average "
        "change; its interval covers this agency's change beyond the change of a "
        "comparison agency like these, treating the agency's counterfactual as a new "
        "comparison agency (t distribution with one fewer degree of freedom than "
        "comparison agencies).",
        "ar": "يطرح الفرق في الفروق متوسط تغير جهات المقارنة، وتغطي فترته تغير هذه الجهة "
        "زيادةً على تغير جهة مقارنة مماثلة، إذ تعامل التغيرَ المفترض للجهة كجهة مقارنة "
        "جديدة (توزيع t بدرجات حرية تقل بواحد عن عدد جهات المقارنة).",
    },
    # ======================= intervention report =======================
    # --- header and section headings -------------------------------------------------------
    "intervention_period_line": {
        "en": "Between the two surveys: {start} to {end} ({weeks} weeks)",
        "ar": "الفترة بين القياسين: من {start} إلى {end} (عدد الأسابيع: {weeks})",
    },
    "q_when_active": {
        "en": "When was the agency active between the two surveys?",
        "ar": "متى نشطت الجهة بين القياسين؟",
    },
    "q_reach": {
        "en": "How many front-line staff were trained, compared with the other programme agencies?",
        "ar": "كم موظفًا من موظفي الخطوط الأمامية دُرِّب، مقارنةً بجهات البرنامج الأخرى؟",
    },
    # --- findings ----------------------------------------------------------------------------
    "finding_comparison": {
        "en": "This is a comparison agency: by design it received no programme activity "
        "between the two surveys, so that its change can be set against the change of the "
        "programme agencies.",
        "ar": "هذه جهة مقارنة: لم تتلقَّ أي نشاط من أنشطة البرنامج بين القياسين وفق تصميم "
        "الدراسة، كي يُقارَن تغيّرها بتغيّر الجهات المشمولة بالبرنامج.",
    },
    "finding_comparison_logged": {
        "en": "This is a comparison agency, which by design receives no programme activity; "
        "yet the activity log records {activities} activities and {trained} staff trained for "
        "it. Check the log: activity here weakens the comparison.",
        "ar": "هذه جهة مقارنة لا تتلقى أنشطة البرنامج وفق تصميم الدراسة، ومع ذلك يسجّل سجل "
        "الأنشطة لها {activities} من الأنشطة و{trained} من الموظفين المدرَّبين. يُرجى مراجعة "
        "السجل، فوجود نشاط هنا يُضعف المقارنة.",
    },
    "finding_no_log": {
        "en": "The study has no activity log (interventions.csv), so the intervention in this "
        "agency cannot be described.",
        "ar": "لا تتضمن الدراسة سجلًا للأنشطة (interventions.csv)، لذلك لا يمكن وصف مرحلة "
        "التدخل في هذه الجهة.",
    },
    "finding_no_activity": {
        "en": "No activity was logged for this programme agency.",
        "ar": "لم يُسجَّل أي نشاط لهذه الجهة المشمولة بالبرنامج.",
    },
    "finding_coverage": {
        "en": "{trained} of {frontline} front-line staff were trained ({coverage}%), {comparison}.",
        "ar": "دُرِّب {trained} من موظفي الخطوط الأمامية البالغ عددهم {frontline} "
        "({coverage}%)، {comparison}.",
    },
    "finding_coverage_alone": {
        "en": "{trained} of {frontline} front-line staff were trained ({coverage}%).",
        "ar": "دُرِّب {trained} من موظفي الخطوط الأمامية البالغ عددهم {frontline} ({coverage}%).",
    },
    "finding_coverage_over_100": {
        "en": "The log counts {trained} trainees against {frontline} front-line staff "
        "({coverage}%), more than the whole staff: some people were probably counted at more "
        "than one session.",
        "ar": "يسجّل السجل {trained} حالة تدريب مقابل {frontline} من موظفي الخطوط الأمامية "
        "({coverage}%)، أي أكثر من عدد الموظفين كله؛ والأرجح أن بعضهم احتُسب في أكثر من جلسة.",
    },
    "finding_coverage_unknown": {
        "en": "{trained} staff were trained; the agency's number of front-line staff is not "
        "recorded in agencies.csv, so its coverage cannot be computed.",
        "ar": "دُرِّب {trained} من الموظفين؛ ولم يُسجَّل عدد موظفي الخطوط الأمامية للجهة في "
        "agencies.csv، لذلك لا يمكن حساب نسبة التغطية.",
    },
    "median_above": {
        "en": "above the programme median of {median}%",
        "ar": "وهي نسبة أعلى من وسيط جهات البرنامج ({median}%)",
    },
    "median_below": {
        "en": "below the programme median of {median}%",
        "ar": "وهي نسبة أقل من وسيط جهات البرنامج ({median}%)",
    },
    "median_at": {
        "en": "the same as the programme median of {median}%",
        "ar": "وهي نسبة مساوية لوسيط جهات البرنامج ({median}%)",
    },
    "finding_activity_between": {
        "en": "The agency logged {activities} activities ({hours} hours) over the {span} "
        "weeks between the two surveys; {idle} of those weeks had no activity.",
        "ar": "سجّلت الجهة {activities} من الأنشطة بمجموع ساعات بلغ {hours} خلال الأسابيع "
        "الفاصلة بين القياسين وعددها {span}؛ ولم يُسجَّل أي نشاط في {idle} منها.",
    },
    "finding_activity_own_span": {
        "en": "The agency logged {activities} activities ({hours} hours) over the {span} "
        "weeks from its first to its last activity; {idle} of those weeks had no activity.",
        "ar": "سجّلت الجهة {activities} من الأنشطة بمجموع ساعات بلغ {hours} خلال الأسابيع "
        "الممتدة من أول نشاط إلى آخره وعددها {span}؛ ولم يُسجَّل أي نشاط في {idle} منها.",
    },
    "finding_dose_rank": {
        "en": "Its coverage ranks {rank} of {total} programme agencies; its {hours} hours of "
        "activity compare with a programme median of {median_hours} hours.",
        "ar": "تأتي الجهة في المرتبة {rank} من {total} بين جهات البرنامج في نسبة التغطية؛ "
        "وبلغ مجموع ساعات أنشطتها {hours} ساعة مقابل وسيط قدره {median_hours} ساعة لجهات "
        "البرنامج.",
    },
    "finding_dose_hours": {
        "en": "Its {hours} hours of activity compare with a programme median of "
        "{median_hours} hours.",
        "ar": "بلغ مجموع ساعات أنشطة الجهة {hours} ساعة مقابل وسيط قدره {median_hours} ساعة "
        "لجهات البرنامج.",
    },
    "finding_mix": {
        "en": "Most of the time went to {activity}: {share}% of the hours logged.",
        "ar": "استأثر نشاط «{activity}» بالنصيب الأكبر من الوقت: {share}% من مجموع الساعات "
        "المسجلة.",
    },
    "finding_longest_gap": {
        "en": "The longest stretch without activity lasted {weeks} weeks, from {start} to {end}.",
        "ar": "امتدت أطول فترة دون أي نشاط {weeks} من الأسابيع، من {start} إلى {end}.",
    },
    "finding_gap_after_baseline": {
        "en": "No activity was logged in the first {weeks} weeks after the baseline survey "
        "(until {end}).",
        "ar": "لم يُسجَّل أي نشاط في الأسابيع الأولى بعد القياس القبلي وعددها {weeks} (حتى {end}).",
    },
    "finding_gap_before_followup": {
        "en": "No activity was logged in the last {weeks} weeks before the follow-up survey "
        "(from {start}).",
        "ar": "لم يُسجَّل أي نشاط في الأسابيع الأخيرة قبل القياس البعدي وعددها {weeks} (منذ {start}).",
    },
    # --- readings ------------------------------------------------------------------------------
    "reading_timeline": {
        "en": "Each dot is one activity, larger when more staff were trained; the shaded "
        "bands are the fieldwork periods of the two surveys. {active} of the {span} weeks "
        "between them had at least one activity.",
        "ar": "تمثل كل نقطة نشاطًا واحدًا، ويكبر حجمها بزيادة عدد الموظفين المدرَّبين؛ "
        "والأشرطة المظللة هي فترات العمل الميداني للقياسين. وشهد {active} من الأسابيع الـ{span} "
        "بينهما نشاطًا واحدًا على الأقل.",
    },
    "reading_outside_span": {
        "en": "{outside} of the logged activities fall outside the period between the two "
        "surveys; they count towards coverage and hours, but not towards the weeks.",
        "ar": "يقع {outside} من الأنشطة المسجلة خارج الفترة الفاصلة بين القياسين؛ وهي محسوبة "
        "في نسبة التغطية والساعات، لا في عدد الأسابيع.",
    },
    "reading_no_activity": {
        "en": "No activity was logged for this agency.",
        "ar": "لم يُسجَّل أي نشاط لهذه الجهة.",
    },
    # --- tables --------------------------------------------------------------------------------
    "caption_activity_log": {
        "en": "Activities logged by the agency",
        "ar": "الأنشطة التي سجّلتها الجهة",
    },
    "caption_dose": {
        "en": "The agency's dose of the programme against the median of the programme agencies",
        "ar": "جرعة البرنامج في الجهة مقارنةً بوسيط جهات البرنامج",
    },
    "caption_activity_mix": {
        "en": "Activities, hours and staff trained by type of activity",
        "ar": "الأنشطة والساعات والموظفون المدرَّبون حسب نوع النشاط",
    },
    "col_measure": {"en": "Measure", "ar": "المقياس"},
    "col_this_agency": {"en": "This agency", "ar": "هذه الجهة"},
    "col_programme_median": {"en": "Programme median", "ar": "وسيط جهات البرنامج"},
    "col_activities": {"en": "Activities", "ar": "عدد الأنشطة"},
    "col_hours_share": {"en": "Share of hours (%)", "ar": "نسبة الساعات (%)"},
    "col_frontline": {"en": "Front-line staff", "ar": "موظفو الخطوط الأمامية"},
    "row_activities": {"en": "Activities logged", "ar": "الأنشطة المسجلة"},
    "row_hours": {"en": "Hours of activity", "ar": "ساعات الأنشطة"},
    "row_weeks_active": {
        "en": "Weeks with activity between the surveys",
        "ar": "الأسابيع التي شهدت نشاطًا بين القياسين",
    },
    "row_weeks_idle": {
        "en": "Weeks without activity between the surveys",
        "ar": "الأسابيع الخالية من النشاط بين القياسين",
    },
    # --- charts --------------------------------------------------------------------------------
    "chart_timeline_title": {
        "en": "Activities between the two surveys",
        "ar": "الأنشطة بين القياسين",
    },
    "chart_coverage_title": {
        "en": "Front-line staff trained in each programme agency (%)",
        "ar": "نسبة موظفي الخطوط الأمامية المدرَّبين في كل جهة من جهات البرنامج (%)",
    },
    "axis_coverage": {
        "en": "Staff trained (% of front-line staff)",
        "ar": "الموظفون المدرَّبون (% من موظفي الخطوط الأمامية)",
    },
    "not_recorded": {"en": "not recorded", "ar": "غير مسجل"},
    "alt_timeline": {
        "en": "Timeline of the agency's {activities} logged activities, one row per type of "
        "activity, with the fieldwork periods of the two surveys shaded; {active} of the "
        "{span} weeks between the surveys had activity.",
        "ar": "خط زمني لأنشطة الجهة المسجلة وعددها {activities}، بصف لكل نوع من الأنشطة، مع "
        "تظليل فترات العمل الميداني للقياسين؛ وشهد {active} من الأسابيع الـ{span} بين القياسين "
        "نشاطًا.",
    },
    "alt_coverage_league": {
        "en": "Dot chart of the share of front-line staff trained in {total} programme "
        "agencies, highest first; this agency is highlighted at {coverage}%, rank {rank} of "
        "{total}.",
        "ar": "مخطط نقطي لنسبة موظفي الخطوط الأمامية المدرَّبين في {total} من جهات البرنامج "
        "مرتبة من الأعلى؛ والجهة مميزة عند {coverage}% في المرتبة {rank} من {total}.",
    },
    "alt_coverage_league_unranked": {
        "en": "Dot chart of the share of front-line staff trained in {total} programme "
        "agencies, highest first; this agency's coverage is not known.",
        "ar": "مخطط نقطي لنسبة موظفي الخطوط الأمامية المدرَّبين في {total} من جهات البرنامج "
        "مرتبة من الأعلى؛ ونسبة التغطية في هذه الجهة غير معروفة.",
    },
    # --- methods -------------------------------------------------------------------------------
    "methods_coverage": {
        "en": "Coverage is the number of staff trained in the activity log divided by the "
        "agency's front-line staff (agencies.csv), in percent. A person trained at two "
        "sessions is counted twice, so coverage can exceed 100%.",
        "ar": "نسبة التغطية هي عدد الموظفين المدرَّبين في سجل الأنشطة مقسومًا على عدد موظفي "
        "الخطوط الأمامية في الجهة (agencies.csv)، بالنسبة المئوية. ويُحتسب من حضر جلستين مرتين، "
        "لذلك قد تتجاوز النسبة 100%.",
    },
    "methods_span": {
        "en": "The period between the surveys runs from the day after baseline fieldwork "
        "ends to the day before follow-up fieldwork starts. Weeks are calendar weeks from "
        "Monday to Sunday (ISO 8601); a week without activity is one in which the log records "
        "none.",
        "ar": "تمتد الفترة بين القياسين من اليوم التالي لانتهاء العمل الميداني للقياس القبلي "
        "إلى اليوم السابق لبدء العمل الميداني للقياس البعدي. والأسابيع أسابيع تقويمية من "
        "الاثنين إلى الأحد (ISO 8601)؛ والأسبوع الخالي من النشاط هو ما لم يسجّل فيه السجل أي "
        "نشاط.",
    },
    "methods_median": {
        "en": "The programme median is the middle value among the programme agencies; "
        "comparison agencies receive no activity by design and are left out.",
        "ar": "وسيط جهات البرنامج هو القيمة الوسطى بين الجهات المشمولة بالبرنامج؛ وتُستبعد جهات "
        "المقارنة لأنها لا تتلقى أي نشاط وفق تصميم الدراسة.",
    },
    "methods_self_reported": {
        "en": "The activity log is reported by the agencies themselves and is not verified "
        "independently; it records what was done, not how well. It counts every activity "
        "rather than a sample, so no confidence intervals are given.",
        "ar": "تُعِدّ الجهات سجل الأنشطة بنفسها ولا يُتحقق منه بصورة مستقلة؛ وهو يبيّن ما نُفِّذ لا "
        "مدى جودته. ولأنه يحصي كل الأنشطة لا عينة منها، لا تُعرض له فترات ثقة.",
    },
    # --- activity types of the log (matched on the normalised text; others shown as written)
    "activity_type_ambassador_training": {"en": "Ambassador training", "ar": "تدريب السفير"},
    "activity_type_staff_workshop": {"en": "Staff workshop", "ar": "ورشة عمل للموظفين"},
    "activity_type_coaching": {"en": "Coaching", "ar": "إرشاد وتوجيه"},
    "activity_type_field_visit": {"en": "Field visit", "ar": "زيارة ميدانية"},
    "activity_type_procedure_documentation": {
        "en": "Procedure documentation",
        "ar": "توثيق الإجراءات",
    },
    # ======================= regional report =======================
    "regional_scope_line": {
        "en": "{programme} programme agencies and {comparison} comparison agencies; "
        "{answers} interviews analysed",
        "ar": "عدد الجهات المشمولة بالبرنامج: {programme}؛ عدد جهات المقارنة: {comparison}؛ "
        "عدد المقابلات المحللة: {answers}",
    },
    # --- findings ------------------------------------------------------------------------------
    "regional_pooled_up": {
        "en": "Across the {k} programme agencies, satisfaction rose: the pooled effect is "
        "g = {g} {interval}, a {size} effect.",
        "ar": "ارتفع الرضا في الجهات المشمولة بالبرنامج (وعددها {k}): حجم الأثر المجمّع "
        "\u2066g = {g} {interval}\u2069، وهو أثر {size}.",
    },
    "regional_pooled_down": {
        "en": "Across the {k} programme agencies, satisfaction fell: the pooled effect is "
        "g = {g} {interval}, a {size} effect.",
        "ar": "انخفض الرضا في الجهات المشمولة بالبرنامج (وعددها {k}): حجم الأثر المجمّع "
        "\u2066g = {g} {interval}\u2069، وهو أثر {size}.",
    },
    "regional_pooled_flat": {
        "en": "Across the {k} programme agencies, satisfaction shows no clear change: the "
        "pooled effect is g = {g} {interval}.",
        "ar": "لا يظهر تغير واضح في الرضا في الجهات المشمولة بالبرنامج (وعددها {k}): حجم الأثر "
        "المجمّع \u2066g = {g} {interval}\u2069.",
    },
    "regional_prediction": {
        "en": "Agencies differ (I² = {i2}%): in a new agency the effect is expected between "
        "{pi_low} and {pi_high} (95% prediction interval).",
        "ar": "تتفاوت الجهات فيما بينها (I² = {i2}%): ويُتوقَّع أن يقع الأثر في جهة جديدة بين "
        "{pi_low} و{pi_high} (فترة تنبؤ 95%).",
    },
    "regional_pooled_none": {
        "en": "No programme agency has enough answers in both waves, so the programme effect "
        "cannot be estimated.",
        "ar": "لا توجد جهة مشمولة بالبرنامج لديها إجابات كافية في القياسين، لذلك لا يمكن تقدير "
        "أثر البرنامج.",
    },
    "regional_did": {
        "en": "The satisfaction index changed by {programme} points on average in the "
        "{k_programme} programme agencies and by {comparison} points in the "
        "{k_comparison} comparison agencies, each agency counting once: a "
        "difference-in-differences of {did} points {interval} (Welch, {p}).",
        "ar": "تغيّر مؤشر الرضا بمتوسط {programme} نقطة في الجهات المشمولة بالبرنامج (وعددها "
        "{k_programme})، وبمقدار {comparison} نقطة في جهات المقارنة (وعددها "
        "{k_comparison})، مع احتساب كل جهة مرة واحدة: أي فرق في الفروق قدره {did} نقطة "
        "{interval} (ويلش، {p}).",
    },
    "regional_did_randomisation": {
        "en": "A randomisation test over the {relabellings} ways of labelling the agencies "
        "gives {p}.",
        "ar": "ويعطي اختبار عشوائي على الطرق الممكنة لتسمية الجهات (وعددها {relabellings}) "
        "قيمة {p}.",
    },
    "regional_did_clear": {
        "en": "The programme agencies improved more than the comparison agencies.",
        "ar": "تحسّنت الجهات المشمولة بالبرنامج أكثر من جهات المقارنة.",
    },
    "regional_did_clear_down": {
        "en": "The programme agencies changed less than the comparison agencies.",
        "ar": "كان تغير الجهات المشمولة بالبرنامج أقل من تغير جهات المقارنة.",
    },
    "regional_did_unclear": {
        "en": "The interval includes zero: with only {k_comparison} comparison agencies, the "
        "programme's extra gain over the change that happened anyway is not yet clear.",
        "ar": "تتضمن الفترة الصفر: ومع وجود {k_comparison} فقط من جهات المقارنة، لم تتضح بعدُ "
        "الزيادة التي أضافها البرنامج على التغير الذي كان سيحدث على أي حال.",
    },
    "regional_did_not_confirmed": {
        "en": "The interval excludes zero, but the randomisation test does not confirm it at "
        "the 5% level: with only {k_comparison} comparison agencies, the difference "
        "between the programme and comparison agencies is not yet clear.",
        "ar": "تستبعد الفترة الصفر لكن الاختبار العشوائي لا يؤكد ذلك عند مستوى 5%: ومع وجود "
        "{k_comparison} فقط من جهات المقارنة، لم يتضح بعدُ الفرق بين الجهات المشمولة "
        "بالبرنامج وجهات المقارنة.",
    },
    "regional_no_did": {
        "en": "Fewer than two comparison agencies have enough answers in both waves, so the "
        "programme agencies' change cannot be set against a comparison: the change after the "
        "programme cannot be attributed to the programme alone.",
        "ar": "لدى أقل من جهتَي مقارنة إجابات كافية في القياسين، لذلك لا يمكن مقارنة تغير "
        "الجهات المشمولة بالبرنامج بتغير جهات مقارنة، ولا يمكن نسبة التغير بعد البرنامج إلى "
        "البرنامج وحده.",
    },
    "regional_league": {
        "en": "{improved} of {total} agencies improved clearly and {declined} declined clearly "
        "(after adjusting for the number of agencies compared); at follow-up {below} are "
        "clearly below the target of {target}.",
        "ar": "عدد الجهات التي تحسّنت بوضوح: {improved} من أصل {total}، والتي تراجعت بوضوح: "
        "{declined} (بعد التعديل لعدد الجهات المقارنة)؛ وعدد الجهات الأقل بوضوح من المستهدف "
        "{target} في القياس البعدي: {below}.",
    },
    "regional_dose_up": {
        "en": "Agencies that trained a larger share of their front-line staff tended to improve "
        "more: {slope} index points per 10 percentage points of coverage {interval}, across "
        "{k} programme agencies. This is an association, not proof that the training caused "
        "the improvement.",
        "ar": "مالت الجهات التي درّبت نسبة أكبر من موظفي الخطوط الأمامية إلى تحسّن أكبر: "
        "{slope} نقطة في المؤشر لكل 10 نقاط مئوية من التغطية {interval}، عبر {k} من الجهات "
        "المشمولة بالبرنامج. وهذا ارتباط، لا دليل على أن التدريب هو سبب التحسن.",
    },
    "regional_dose_down": {
        "en": "Agencies that trained a larger share of their front-line staff tended to improve "
        "less: {slope} index points per 10 percentage points of coverage {interval}, across "
        "{k} programme agencies. This is an association, not a cause.",
        "ar": "مالت الجهات التي درّبت نسبة أكبر من موظفي الخطوط الأمامية إلى تحسّن أقل: "
        "{slope} نقطة في المؤشر لكل 10 نقاط مئوية من التغطية {interval}، عبر {k} من الجهات "
        "المشمولة بالبرنامج. وهذا ارتباط، لا علاقة سببية.",
    },
    "regional_dose_flat": {
        "en": "Across {k} programme agencies, the change is not clearly associated with training "
        "coverage: {slope} index points per 10 percentage points of coverage {interval}.",
        "ar": "لا يرتبط التغير ارتباطًا واضحًا بنسبة التغطية بالتدريب عبر {k} من الجهات المشمولة "
        "بالبرنامج: {slope} نقطة في المؤشر لكل 10 نقاط مئوية من التغطية {interval}.",
    },
    "regional_dose_none": {
        "en": "Too few programme agencies have both a change and a known training coverage to "
        "relate the two.",
        "ar": "عدد الجهات المشمولة بالبرنامج التي يتوفر لها تغير ونسبة تغطية معروفة أقل من أن "
        "يُربط بينهما.",
    },
    "regional_suppressed": {
        "en": "Not ranked and left out of the programme-level estimates (fewer than {min_n} "
        "answers in a wave): {names}.",
        "ar": "جهات لم تُرتَّب ولم تدخل في تقديرات البرنامج الإجمالية (أقل من {min_n} إجابات في "
        "أحد القياسين): {names}.",
    },
    # --- section headings ------------------------------------------------------------------
    "q_league": {
        "en": "How do the agencies compare at follow-up?",
        "ar": "كيف تتقارن الجهات في القياس البعدي؟",
    },
    "q_did": {
        "en": "Did programme agencies improve more than comparison agencies?",
        "ar": "هل تحسّنت الجهات المشمولة بالبرنامج أكثر من جهات المقارنة؟",
    },
    "q_dose": {
        "en": "Did agencies that trained more of their staff improve more?",
        "ar": "هل تحسّنت الجهات التي درّبت نسبة أكبر من موظفيها بدرجة أكبر؟",
    },
    "q_heatmap": {
        "en": "Which parts of the service changed, agency by agency?",
        "ar": "ما أجزاء الخدمة التي تغيّرت في كل جهة؟",
    },
    "q_best": {
        "en": "What did the best improvers do?",
        "ar": "ماذا فعلت الجهات الأكثر تحسنًا؟",
    },
    # --- charts -------------------------------------------------------------------------------
    "chart_regional_league_title": {
        "en": "Satisfaction index at follow-up, every agency (95% intervals)",
        "ar": "مؤشر الرضا في القياس البعدي لجميع الجهات (فترات ثقة 95%)",
    },
    "alt_regional_league": {
        "en": "Dot chart of the satisfaction index at follow-up of {ranked} agencies with 95% "
        "intervals and the target of {target}, best first; highest: {top} ({top_value}); "
        "{below} clearly below the target.",
        "ar": "مخطط نقطي لمؤشر الرضا في القياس البعدي لعدد {ranked} من الجهات مع فترات ثقة 95% "
        "والمستهدف {target}، الأعلى أولًا؛ الأعلى: {top} ({top_value})؛ وعدد الجهات الأقل بوضوح "
        "من المستهدف: {below}.",
    },
    "chart_forest_title": {
        "en": "Change in satisfaction in each programme agency (Hedges' g, 95% intervals)",
        "ar": "التغير في الرضا في كل جهة مشمولة بالبرنامج (Hedges' g، فترات ثقة 95%)",
    },
    "axis_g": {
        "en": "Hedges' g (positive = improvement)",
        "ar": "Hedges' g (القيمة الموجبة = تحسّن)",
    },
    "label_pooled": {"en": "Pooled (random effects)", "ar": "الأثر المجمّع (تأثيرات عشوائية)"},
    "label_prediction": {"en": "95% prediction interval", "ar": "فترة التنبؤ 95%"},
    "label_weight": {"en": "Weight", "ar": "الوزن"},
    "alt_forest": {
        "en": "Forest plot of Hedges' g in {k} programme agencies with 95% intervals; pooled "
        "g = {g} {interval}; 95% prediction interval {pi}.",
        "ar": "مخطط غابي لقيم Hedges' g في {k} من الجهات المشمولة بالبرنامج مع فترات ثقة 95%؛ "
        "الأثر المجمّع \u2066g = {g} {interval}\u2069؛ فترة التنبؤ 95%: {pi}.",
    },
    "alt_did_league": {
        "en": "Dot chart of every agency's change in the satisfaction index with 95% "
        "intervals, programme and comparison agencies in two colours.",
        "ar": "مخطط نقطي للتغير في مؤشر الرضا لكل جهة مع فترات ثقة 95%، بلونين للجهات المشمولة "
        "بالبرنامج وجهات المقارنة.",
    },
    "chart_dose_title": {
        "en": "Change in satisfaction against training coverage (programme agencies)",
        "ar": "التغير في الرضا مقابل نسبة التغطية بالتدريب (الجهات المشمولة بالبرنامج)",
    },
    "label_fit": {
        "en": "Weighted fit with 95% band",
        "ar": "خط الانحدار الموزون مع نطاق ثقة 95%",
    },
    "alt_dose": {
        "en": "Scatter plot of {k} programme agencies: change in the satisfaction index against "
        "the percent of front-line staff trained, with a fitted line of {slope} points per 10 "
        "percentage points {interval}.",
        "ar": "مخطط انتشار لعدد {k} من الجهات المشمولة بالبرنامج: التغير في مؤشر الرضا مقابل "
        "نسبة موظفي الخطوط الأمامية المدرَّبين، مع خط انحدار قدره {slope} نقطة لكل 10 نقاط "
        "مئوية {interval}.",
    },
    "chart_heatmap_title": {
        "en": "Change by agency and part of the service (index points)",
        "ar": "التغير حسب الجهة وجزء الخدمة (بنقاط المؤشر)",
    },
    "alt_heatmap": {
        "en": "Heatmap of the change in index points of {agencies} agencies in {dimensions} "
        "parts of the service, programme agencies first; the largest rise: {best}.",
        "ar": "خريطة حرارية للتغير بنقاط المؤشر لعدد {agencies} من الجهات في {dimensions} من "
        "أجزاء الخدمة، الجهات المشمولة بالبرنامج أولًا؛ أكبر ارتفاع: {best}.",
    },
    "name_comparison": {"en": "{name} (comparison)", "ar": "{name} (مقارنة)"},
    # --- tables --------------------------------------------------------------------------------
    "col_reading_bh": {
        "en": "Reading (adjusted p)",
        "ar": "القراءة (p المعدلة)",
    },
    "reading_with_p": {"en": "{verdict} ({p})", "ar": "{verdict} ({p})"},
    "reading_with_p_family": {
        "en": "{verdict} ({p}, {family})",
        "ar": "{verdict} ({p}، {family})",
    },
    "family_bh": {
        "en": "BH",
        "ar": "BH",
    },
    "family_holm": {
        "en": "Holm",
        "ar": "هولم",
    },
    "col_rank_interval": {"en": "Rank [95% interval]", "ar": "الترتيب [فترة 95%]"},
    "col_target_flag": {"en": "Target {target}", "ar": "المستهدف {target}"},
    "flag_clearly_below": {"en": "clearly below", "ar": "أقل بوضوح"},
    "flag_below": {"en": "below (within the margin)", "ar": "أقل (ضمن هامش الخطأ)"},
    "flag_at_above": {"en": "at or above", "ar": "عند المستهدف أو أعلى"},
    "caption_regional_league": {
        "en": "League table, best satisfaction index at follow-up first (agencies with fewer "
        "than {min_n} answers in a wave are not ranked; p adjusted with "
        "Benjamini-Hochberg across the programme agencies, BH, and for comparison "
        "agencies within the agency, Holm)",
        "ar": "جدول الترتيب، الأعلى في مؤشر الرضا في القياس البعدي أولًا (لا تُرتَّب الجهات "
        "التي لديها أقل من {min_n} إجابات في أحد القياسين، وعُدّلت p بطريقة "
        "بنجاميني-هوشبرغ على الجهات المشمولة بالبرنامج BH، ولجهات المقارنة داخل الجهة "
        "بطريقة هولم)",
    },
    "reading_rank_uncertainty": {
        "en": "Ranks are less certain than they look: half of the ranked agencies have a 95% "
        "rank interval spanning {width} places or more, so agencies a few places apart may not "
        "truly differ.",
        "ar": "الترتيب أقل يقينًا مما يبدو: نصف الجهات المرتبة لها فترة ترتيب 95% تمتد {width} "
        "مراتب أو أكثر، لذلك قد لا تختلف فعليًا الجهات المتقاربة في الترتيب.",
    },
    "caption_pooled": {
        "en": "Programme effect: random-effects meta-analysis of the programme agencies' Hedges' g",
        "ar": "أثر البرنامج: تحليل بعدي بالتأثيرات العشوائية لقيم Hedges' g للجهات المشمولة "
        "بالبرنامج",
    },
    "col_value": {"en": "Value", "ar": "القيمة"},
    "row_pooled_g": {"en": "Pooled Hedges' g [95% interval]", "ar": "الأثر المجمّع g [فترة 95%]"},
    "row_prediction": {"en": "95% prediction interval", "ar": "فترة التنبؤ 95%"},
    "row_tau2": {"en": "Between-agency variance (τ²)", "ar": "التباين بين الجهات (τ²)"},
    "row_i2": {
        "en": "Variation beyond chance (I², %)",
        "ar": "نسبة التباين غير العائد إلى الصدفة (I²، %)",
    },
    "row_q": {"en": "Heterogeneity test (Q)", "ar": "اختبار عدم التجانس (Q)"},
    "row_k": {"en": "Programme agencies pooled", "ar": "عدد الجهات المشمولة في التجميع"},
    "reading_pooled": {
        "en": "Each square is one programme agency's change in satisfaction in standard "
        "deviation units, sized by its weight; the diamond is the pooled effect and the bar "
        "under it the range expected for a new agency.",
        "ar": "يمثل كل مربع التغير في الرضا لجهة مشمولة بالبرنامج بوحدات الانحراف المعياري، "
        "وحجمه بحسب وزنها؛ ويمثل المعيَّن الأثر المجمّع، والشريط تحته المدى المتوقع لجهة جديدة.",
    },
    "caption_did": {
        "en": "Difference-in-differences of the satisfaction index (programme minus comparison "
        "agencies)",
        "ar": "الفرق في الفروق لمؤشر الرضا (الجهات المشمولة بالبرنامج مقابل جهات المقارنة)",
    },
    "row_programme_change": {
        "en": "Change in the programme agencies (points)",
        "ar": "التغير في الجهات المشمولة بالبرنامج (نقاط)",
    },
    "row_comparison_change": {
        "en": "Change in the comparison agencies (points)",
        "ar": "التغير في جهات المقارنة (نقاط)",
    },
    "row_did": {
        "en": "Difference-in-differences [95% interval, Welch on the agencies' changes]",
        "ar": "الفرق في الفروق [فترة 95%، ويلش على تغيرات الجهات]",
    },
    "row_did_df": {
        "en": "Degrees of freedom (Welch-Satterthwaite)",
        "ar": "درجات الحرية (ويلش-ساترثويت)",
    },
    "row_did_p": {
        "en": "p (Welch)",
        "ar": "p (ويلش)",
    },
    "row_did_randomisation": {
        "en": "p (randomisation test, {relabellings} relabellings)",
        "ar": "p (اختبار عشوائي، {relabellings} طريقة لتسمية الجهات)",
    },
    "row_did_randomisation_none": {
        "en": "not computed: too many relabellings to enumerate",
        "ar": "لم تُحسب: عدد طرق التسمية أكبر من أن يُحصى",
    },
    "row_did_fe": {
        "en": "Sensitivity check: respondent-level model with agency fixed effects [95% "
        "interval, wild cluster bootstrap]",
        "ar": "للتحقق من الحساسية: نموذج على المستجيبين بتأثيرات ثابتة للجهات [فترة 95%، "
        "إعادة المعاينة العنقودية البرية]",
    },
    "row_agencies": {
        "en": "Agencies (programme + comparison)",
        "ar": "عدد الجهات (البرنامج + المقارنة)",
    },
    "row_answers": {
        "en": "Answers (sensitivity check)",
        "ar": "عدد الإجابات (التحقق من الحساسية)",
    },
    "reading_did_caveat": {
        "en": "The difference-in-differences takes out the change that happened anyway, as "
        "seen in the comparison agencies; it assumes both groups would have changed "
        "alike without the programme. Each agency counts once, and with only "
        "{k_comparison} comparison agencies the interval, built on the agencies' "
        "changes, is wider than a count of interviews would suggest.",
        "ar": "يستبعد الفرق في الفروق التغير الذي كان سيحدث على أي حال، كما يظهر في جهات "
        "المقارنة، ويفترض أن المجموعتين كانتا ستتغيران بالقدر نفسه لولا البرنامج. "
        "وتُحسب كل جهة مرة واحدة، ومع وجود {k_comparison} فقط من جهات المقارنة تكون "
        "الفترة المبنية على تغيرات الجهات أوسع مما يوحي به عدد المقابلات.",
    },
    "caption_best": {
        "en": "Activity profile of the agencies with the largest clear improvements, beside the "
        "median of the programme agencies",
        "ar": "ملف أنشطة الجهات الأكثر تحسنًا بوضوح، مقارنةً بوسيط الجهات المشمولة بالبرنامج",
    },
    "col_main_activity": {
        "en": "Main activity (share of hours)",
        "ar": "النشاط الرئيسي (نسبة الساعات)",
    },
    "row_programme_median": {"en": "Programme median", "ar": "وسيط الجهات المشمولة بالبرنامج"},
    "main_activity": {"en": "{activity} ({share}%)", "ar": "{activity} ({share}%)"},
    "reading_best": {
        "en": "The largest clear improvements were in {names}.",
        "ar": "كانت أكبر التحسينات الواضحة في: {names}.",
    },
    "reading_best_all_above": {
        "en": "Each of them trained a larger share of its front-line staff than the programme "
        "median of {median}%.",
        "ar": "ودرّبت كلٌّ منها نسبة من موظفي الخطوط الأمامية أكبر من وسيط البرنامج البالغ {median}%.",
    },
    "reading_best_some_above": {
        "en": "{above} of these {k} agencies trained a larger share of their front-line staff "
        "than the programme median of {median}%.",
        "ar": "ومن بين هذه الجهات (وعددها {k})، درّبت {above} منها نسبة من موظفي الخطوط "
        "الأمامية أكبر من وسيط البرنامج البالغ {median}%.",
    },
    "reading_best_caveat": {
        "en": "The profile describes what these agencies did alongside their improvement; they "
        "also differ in ways the activity log does not record, so it does not show what "
        "caused it.",
        "ar": "ويصف هذا الملف ما قامت به هذه الجهات بالتزامن مع تحسنها؛ غير أنها تختلف أيضًا في "
        "جوانب لا يسجلها سجل الأنشطة، فلا يبيّن سبب التحسن.",
    },
    "reading_best_none": {
        "en": "No programme agency improved clearly after adjusting for the number of agencies "
        "compared, so no best practices are singled out.",
        "ar": "لم تتحسن أي جهة مشمولة بالبرنامج بوضوح بعد التعديل لعدد الجهات المقارنة، لذلك "
        "لا تُبرَز ممارسات بعينها.",
    },
    "reading_heatmap": {
        "en": "Teal cells are rises and brown cells falls, in index points; grey cells have "
        "fewer than {min_n} answers in a wave.",
        "ar": "الخلايا الخضراء المزرقّة ارتفاعات والبنية انخفاضات، بنقاط المؤشر؛ والخلايا "
        "الرمادية لديها أقل من {min_n} إجابات في أحد القياسين.",
    },
    # --- methods -----------------------------------------------------------------------------
    "methods_regional_variance": {
        "en": "Each agency's g has the variance {formula}, {j}; τ² is the DerSimonian-Laird "
        "estimate of the variance between agencies, I² the share of the variation beyond "
        "chance, and the prediction interval uses the t distribution with {df} degrees of "
        "freedom.",
        "ar": "تباين g لكل جهة هو {formula}، حيث {j}؛ وτ² هو تقدير ديرسيمونيان-ليرد للتباين "
        "بين الجهات، وI² نسبة التباين غير العائد إلى الصدفة، وتستخدم فترة التنبؤ توزيع t "
        "بدرجات حرية {df}.",
    },
    "methods_regional_did": {
        "en": "The difference-in-differences is the mean change of the programme agencies "
        "minus the mean change of the comparison agencies, each agency counting once; "
        "its interval and p-value are Welch's on the agencies' changes "
        "(Welch-Satterthwaite degrees of freedom), and the randomisation p-value is the "
        "share of all the ways of labelling that many agencies as comparison agencies "
        "in which the difference, in standard errors, is at least as large as the one "
        "observed. As a sensitivity check, a regression on the respondents with one "
        "intercept per agency gives a second estimate, with a wild cluster restricted "
        "bootstrap interval (Webb weights, {reps} draws, fixed seed).",
        "ar": "الفرق في الفروق هو متوسط تغير الجهات المشمولة بالبرنامج مطروحًا منه متوسط تغير "
        "جهات المقارنة، وتُحسب كل جهة مرة واحدة؛ وفترته وقيمة p هما فترة ويلش وقيمته "
        "على تغيرات الجهات (درجات حرية ويلش-ساترثويت)، وقيمة p العشوائية هي نسبة الطرق "
        "الممكنة لتسمية هذا العدد من الجهات جهاتِ مقارنة التي يكون فيها الفرق، مقيسًا "
        "بالأخطاء المعيارية، بقدر الفرق المشاهد أو أكبر. وللتحقق من الحساسية، يعطي "
        "انحدار على المستجيبين بثابت لكل جهة تقديرًا ثانيًا بفترة من إعادة المعاينة "
        "العنقودية البرية المقيدة (أوزان Webb، {reps} سحبة، بذرة ثابتة).",
    },
    "methods_interval_did": {
        "en": "The 95% interval of the difference-in-differences covers the programme's "
        "average effect over agencies like these (the mean extra change of programme "
        "agencies over comparison agencies), not the effect in any one agency.",
        "ar": "تغطي فترة الثقة 95% للفرق في الفروق متوسطَ أثر البرنامج على جهات مماثلة لهذه "
        "الجهات (متوسط التغير الإضافي للجهات المشمولة بالبرنامج مقارنةً بجهات "
        "المقارنة)، لا أثره في جهة بعينها.",
    },
    "methods_regional_dose": {
        "en": "The dose-response is a random-effects meta-regression of each programme agency's "
        "change on its training coverage (staff trained ÷ front-line staff), weighted by the "
        "precision of each change; it shows an association only.",
        "ar": "علاقة الجرعة بالاستجابة انحدار بعدي بالتأثيرات العشوائية لتغير كل جهة مشمولة "
        "بالبرنامج على نسبة التغطية بالتدريب (الموظفون المدرَّبون ÷ موظفو الخطوط الأمامية)، "
        "موزون بدقة كل تغير؛ وهي تبيّن ارتباطًا فقط.",
    },
    "methods_regional_rank": {
        "en": "Rank intervals come from {draws} simulated redraws of each agency's follow-up "
        "index from its estimate and standard error (fixed seed): the interval runs from the "
        "2.5th to the 97.5th percentile of the agency's simulated ranks.",
        "ar": "تُحسب فترات الترتيب من {draws} سحبة محاكاة لمؤشر كل جهة في القياس البعدي من "
        "تقديره وخطئه المعياري (بذرة ثابتة): تمتد الفترة من المئين 2.5 إلى المئين 97.5 من "
        "الترتيب المحاكى للجهة.",
    },
    "methods_interval_rank": {
        "en": "Each rank interval covers that agency's true rank with 95% confidence on its "
        "own; the intervals are not joint, so across all the agencies a few true ranks "
        "are expected to fall outside their intervals.",
        "ar": "تغطي كل فترة ترتيب الترتيبَ الحقيقي لتلك الجهة بثقة 95% منفردةً؛ والفترات ليست "
        "مشتركة، لذلك يُتوقَّع أن يقع الترتيب الحقيقي لبعض الجهات خارج فترته عند النظر "
        "إلى جميع الجهات معًا.",
    },
    "methods_regional_left_out": {
        "en": "Agencies with fewer than {min_n} answers in a wave are listed but not ranked, and "
        "are left out of the programme effect, the difference-in-differences and the "
        "dose-response.",
        "ar": "تُدرج الجهات التي لديها أقل من {min_n} إجابات في أحد القياسين دون ترتيب، "
        "وتُستبعد من أثر البرنامج والفرق في الفروق وعلاقة الجرعة بالاستجابة.",
    },
}


def t(key: str, lang: str, **fmt: object) -> str:
    """The string ``key`` in language ``lang``, with ``{placeholders}`` filled from ``fmt``.

    Parameters
    ----------
    key : str
        A key of :data:`STRINGS`.
    lang : {"ar", "en"}
        Report language.
    **fmt
        Values for the string's placeholders (``str.format``).

    Raises
    ------
    KeyError
        Unknown key or missing placeholder value (a typo should fail the build, not show
        a blank in a report).
    ValueError
        Unknown language.
    """
    if lang not in LANGUAGES:
        raise ValueError(f"unknown report language {lang!r}; expected one of {LANGUAGES}")
    try:
        text = STRINGS[key][lang]
    except KeyError:
        raise KeyError(f"no report string {key!r}") from None
    return text.format(**fmt)


def placeholders(text: str) -> set[str]:
    """Names of the ``{placeholders}`` in a format string."""
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def _is_missing(x: object) -> bool:
    """None, NaN, NaT or pd.NA (scalars only)."""
    try:
        return bool(pd.isna(x))
    except (TypeError, ValueError):
        return False


def fmt_num(
    x: float | None,
    decimals: int = 0,
    lang: str = "en",
    grouping: bool = False,
    signed: bool = False,
) -> str:
    """Format a number for a report: fixed decimals, half away from zero, Western digits.

    Rounding works on the shortest decimal representation of ``x`` (what a reader sees in
    a spreadsheet), half away from zero: ``2.5 -> 3``, ``2.675 -> 2.68`` (Python's
    ``format`` gives ``2`` and ``2.67``). A result that rounds to zero loses its sign.
    Missing values (None, NaN, pd.NA) give :data:`MISSING`.

    Parameters
    ----------
    x : float or None
    decimals : int
        Digits after the decimal point.
    lang : {"ar", "en"}
        In Arabic a signed number is one isolated left-to-right run (``LRI ... PDI``,
        U+2066 ... U+2069), so that it reads "-3" and "+3", not "3-" and "3+", inside
        right-to-left prose. A left-to-right mark before the sign is not enough: Chromium
        drew «بتغير قدره \u200e+4 نقاط» as «4+ نقاط».
    grouping : bool
        Thousands separator (``6,000``).
    signed : bool
        A change: ``+`` before a positive value (zero stays unsigned).
    """
    if _is_missing(x):
        return MISSING
    if isinstance(x, float) and math.isinf(x):
        return ("-" if x < 0 else "") + "∞"
    quantum = Decimal(1).scaleb(-decimals)
    exact = Decimal(int(x)) if isinstance(x, int | np.integer) else Decimal(repr(float(x)))
    value = exact.quantize(quantum, rounding=ROUND_HALF_UP)
    if value == 0:
        value = abs(value)
    text = f"{value:,.{decimals}f}" if grouping else f"{value:.{decimals}f}"
    if signed and value > 0:
        text = "+" + text
    if lang == "ar" and text[:1] in "+-":
        text = f"{LRI}{text}{PDI}"
    return text


#: Left-to-right isolate and pop directional isolate (Unicode bidi, UAX #9): the text between
#: them is laid out on its own, left to right, whatever surrounds it.
LRI, PDI = "\u2066", "\u2069"

#: No-break space: keeps an interval or "p < 0.001" on one line.
NBSP = "\u00a0"


def fmt_interval(lo: float | None, hi: float | None, decimals: int = 0, lang: str = "en") -> str:
    """A confidence interval in brackets, rounded like its estimate: ``[60, 68]`` / ``[60، 68]``.

    Lower bound first in both languages, as one isolated left-to-right run (``LRI ... PDI``),
    whatever the signs of the bounds: in Arabic text the bidirectional algorithm would
    otherwise reorder the two numbers of a negative interval. The Arabic form uses the
    Arabic comma (REPORTS.md wording rules), and the space after the comma is a no-break
    space so that the interval never breaks across lines.
    """
    sep = "،" if lang == "ar" else ","
    return f"{LRI}[{fmt_num(lo, decimals)}{sep}{NBSP}{fmt_num(hi, decimals)}]{PDI}"


def bidi_isolate(text: str, lang: str) -> str:
    """Wrap left-to-right text (a date, a code, a file name) for use inside Arabic prose.

    In Arabic text the digits after an Arabic letter become "Arabic numbers" for the
    bidirectional algorithm, and a dash between them no longer joins them: "2025-01-05"
    displays as "05-01-2025". A left-to-right isolate (U+2066 ... U+2069) lays the text
    out on its own, left to right. English text is returned unchanged.
    """
    return f"\u2066{text}\u2069" if lang == "ar" else text


def fmt_date(value: object, lang: str = "en") -> str:
    """A date as ISO ``2025-01-05``, isolated left to right in Arabic (see :func:`bidi_isolate`)."""
    if _is_missing(value):
        return MISSING
    return bidi_isolate(pd.Timestamp(value).strftime("%Y-%m-%d"), lang)


def fmt_date_long(value: object, lang: str = "en") -> str:
    """A day in words: ``5 January 2025``; in Arabic with its Umm al-Qura Hijri date,
    ``5 يناير 2025م (5 رجب 1446هـ)`` (Gregorian month names from Babel's CLDR data)."""
    if _is_missing(value):
        return MISSING
    from babel.dates import format_date

    from analysis import calendars

    day = pd.Timestamp(value).date()
    if lang != "ar":
        return format_date(day, "d MMMM y", locale="en")
    gregorian = format_date(day, "d MMMM y", locale="ar")
    year, month, hday = calendars.to_hijri(day)
    return f"{gregorian}م ({hday} {calendars.hijri_month_name(month, 'ar')} {year}هـ)"


def fmt_p(p: float | None, lang: str = "en") -> str:
    """A p-value as ``p = 0.03``, ``p = 0.004`` or ``p < 0.001`` (APA style, leading zero kept).

    Two decimals from 0.01 up, three below; three also when two would round a p-value
    under 0.05 up to ``0.05`` (``0.049`` stays ``p = 0.049``), so the text never seems to
    cross the usual threshold. The same in both languages (``p`` is a symbol); the spaces
    are no-break spaces (never a line break inside), and in Arabic the whole is isolated
    left to right, so that ``<`` is not mirrored and ``p`` stays first.
    """
    if _is_missing(p):
        text = f"p = {MISSING}"
    else:
        p = float(p)  # type: ignore[arg-type]
        if not 0 <= p <= 1:
            raise ValueError(f"p-value out of [0, 1]: {p}")
        if p < 0.001:
            text = "p < 0.001"
        else:
            decimals = 3 if p < 0.01 else 2
            number = fmt_num(p, decimals)
            if decimals == 2 and p < 0.05 and number == "0.05":
                number = fmt_num(p, 3)
            text = f"p = {number}"
    text = text.replace(" ", NBSP)
    return f"{LRI}{text}{PDI}" if lang == "ar" else text


#: Counted nouns: English singular and plural; Arabic singular (also the form after 100,
#: 101, 102 ... and the form after 0), "one" as words, dual, plural (3-10) and the singular
#: accusative after 11-99 (CLDR plural categories: zero one two few many other).
NOUNS: dict[str, dict[str, dict[str, str]]] = {
    "point": {
        "en": {"one": "point", "other": "points"},
        "ar": {
            "other": "نقطة",
            "one": "نقطة واحدة",
            "two": "نقطتان",
            "few": "نقاط",
            "many": "نقطةً",
        },
    },
    "agency": {
        "en": {"one": "agency", "other": "agencies"},
        "ar": {"other": "جهة", "one": "جهة واحدة", "two": "جهتان", "few": "جهات", "many": "جهةً"},
    },
    "answer": {
        "en": {"one": "answer", "other": "answers"},
        "ar": {
            "other": "إجابة",
            "one": "إجابة واحدة",
            "two": "إجابتان",
            "few": "إجابات",
            "many": "إجابةً",
        },
    },
    "interview": {
        "en": {"one": "interview", "other": "interviews"},
        "ar": {
            "other": "مقابلة",
            "one": "مقابلة واحدة",
            "two": "مقابلتان",
            "few": "مقابلات",
            "many": "مقابلةً",
        },
    },
    "activity": {
        "en": {"one": "activity", "other": "activities"},
        "ar": {
            "other": "نشاط",
            "one": "نشاط واحد",
            "two": "نشاطان",
            "few": "أنشطة",
            "many": "نشاطًا",
        },
    },
    "week": {
        "en": {"one": "week", "other": "weeks"},
        "ar": {
            "other": "أسبوع",
            "one": "أسبوع واحد",
            "two": "أسبوعان",
            "few": "أسابيع",
            "many": "أسبوعًا",
        },
    },
    "rank": {
        "en": {"one": "place", "other": "places"},
        "ar": {
            "other": "مرتبة",
            "one": "مرتبة واحدة",
            "two": "مرتبتان",
            "few": "مراتب",
            "many": "مرتبةً",
        },
    },
    "hour": {
        "en": {"one": "hour", "other": "hours"},
        "ar": {
            "other": "ساعة",
            "one": "ساعة واحدة",
            "two": "ساعتان",
            "few": "ساعات",
            "many": "ساعةً",
        },
    },
}


def plural_category(n: float, lang: str) -> str:
    """CLDR plural category of ``n`` in ``lang`` (Babel): ``zero one two few many other``."""
    from babel import Locale  # noqa: PLC0415 - imported when a count is worded

    return Locale(lang).plural_form(n)


def count_phrase(
    n: float,
    noun: str,
    lang: str,
    decimals: int = 0,
    signed: bool = False,
    grouping: bool = False,
) -> str:
    """A number with its counted noun agreeing with it: ``4 نقاط``, ``نقطتان``, ``1 point``.

    The form follows the CLDR plural rules of the language (Babel) on the number as shown
    (rounded to ``decimals``). Arabic: 1 and 2 as words (``نقطة واحدة``, ``نقطتان``), 3-10
    the plural (``4 نقاط``), 11-99 the accusative singular (``12 جهةً``), 0 and 100, 101,
    102 ... the singular (``100 نقطة``); a signed change (``signed=True``) keeps its digits
    and sign, the noun then in the singular for 1 and 2 (``+1 نقطة``, ``−2 نقطة``: a
    measured change, not a count). English: ``1 point``, ``+1 point``, ``2 points``,
    ``1.5 points``. A missing ``n`` gives :data:`MISSING` and the plural noun.
    """
    forms = NOUNS[noun][lang]
    if _is_missing(n):
        return f"{MISSING} {forms['other']}"
    shown = fmt_num(n, decimals, lang, grouping=grouping, signed=signed)
    value = abs(Decimal(shown.strip(LRM + LRI + PDI + "+-").replace(",", "")))
    number = int(value) if value == value.to_integral_value() and decimals == 0 else float(value)
    category = plural_category(number, lang)
    if lang == "en":
        return f"{shown} {forms['one' if category == 'one' else 'other']}"
    if category in ("one", "two") and not signed:
        return forms[category]
    if category in ("few", "many"):
        return f"{shown} {forms[category]}"
    return f"{shown} {forms['other']}"


def fmt_suppressed(lang: str, min_report_n: int = 10) -> str:
    """What a suppressed estimate shows: ``n < 10`` / ``ن < 10``."""
    return t("suppressed", lang, min_n=min_report_n)


def effect_size_key(g: float) -> str:
    """Key of the word for an effect size |g| (Cohen's conventions, REPORTS.md).

    Under 0.2 negligible, from 0.2 small, from 0.5 moderate, from 0.8 large.
    """
    size = abs(g)
    if size < 0.2:
        return "effect_negligible"
    if size < 0.5:
        return "effect_small"
    if size < 0.8:
        return "effect_moderate"
    return "effect_large"


def verdict_key(ci_low: float, ci_high: float) -> str:
    """Key of the change verdict from a (corrected) interval of follow-up minus baseline.

    "improved" only when the interval lies above 0, "declined" only when it lies below,
    otherwise "no clear change" (REPORTS.md wording rules).
    """
    if ci_low > 0:
        return "verdict_improved"
    if ci_high < 0:
        return "verdict_declined"
    return "verdict_no_clear_change"
