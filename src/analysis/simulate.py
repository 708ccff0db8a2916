r"""Synthetic demo study with planted, recorded effects.

:func:`simulate_study` writes a complete study folder (DESIGN.md section 3): ``study.yml``,
``agencies.csv``, ``surveys/baseline.csv``, ``surveys/followup.xlsx``, ``interventions.csv``,
a ``README.md`` that says the data are synthetic, and ``truth.json`` with the planted truth
that the tests compare the analysis against. The same seed gives byte-identical files.

Generating model
----------------
Every rated item follows an ordered-probit model [1]_. For respondent ``r`` of agency ``a`` in
wave ``w`` and item ``i`` of dimension ``d``, the latent response is

.. math::

    y^*_{ri} = \mu_i + \alpha_a + \gamma_{ad} + \delta_{adw} + \beta^\top s_r
              + \eta_{h_r d} + u_r + \varepsilon_{ri},
    \qquad u_r \sim N(0, \sigma_u^2),\ \varepsilon_{ri} \sim N(0, 1),

with item intercepts :math:`\mu_i`, an agency level :math:`\alpha_a`, an agency-by-dimension
profile :math:`\gamma_{ad}`, the planted follow-up shift :math:`\delta_{adw}` (zero at
baseline), segment effects :math:`\beta` of the respondent's segment cell :math:`s_r`, the
effect :math:`\eta_{hd}` of the respondent's experience profile :math:`h_r` (smooth visit,
long wait, staff problem, ...: a finite mixture that makes the items of a dimension hang
together and the outcome depend on some dimensions more than others), and a respondent random
intercept :math:`u_r`. The answer is ``k`` when :math:`\tau_{k-1} < y^* \le \tau_k`. Items
are N/A (code 9) or blank independently of the answer, with item-specific probabilities.
Natural respondents whose answered items are all identical are re-drawn (they would be
straight-liners).

Given the segment cell, the profile and :math:`u_r`, the items are independent, so the
population truth (``truth.json``) is computed exactly (to about 1e-12): a sum over profiles,
an integral over the segment effect plus :math:`u_r`, and the re-draw conditioning in closed
form (:func:`natural_item_moments`). No sampling is involved.

References
----------
.. [1] McKelvey, R. D., & Zavoina, W. (1975). A statistical model for the analysis of ordinal
   level dependent variables. *Journal of Mathematical Sociology*, 4(1), 103-120.
.. [2] Trefethen, L. N., & Weideman, J. A. C. (2014). The exponentially convergent trapezoidal
   rule. *SIAM Review*, 56(3), 385-458.
"""

from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from itertools import combinations
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from scipy.special import ndtr

from analysis import config

# --------------------------------------------------------------------------------------------
# Questionnaire (the codebook written to study.yml)
# --------------------------------------------------------------------------------------------

SCALE_MIN, SCALE_MAX, NA_CODE = 1, 5, 9
SCALE_LABELS = {
    1: {"en": "Strongly disagree", "ar": "لا أوافق بشدة"},
    2: {"en": "Disagree", "ar": "لا أوافق"},
    3: {"en": "Neutral", "ar": "محايد"},
    4: {"en": "Agree", "ar": "أوافق"},
    5: {"en": "Strongly agree", "ar": "أوافق بشدة"},
}


@dataclass(frozen=True)
class Item:
    """One rated item: code, raw column, dimension, latent intercept, N/A probability, texts."""

    code: str
    column: str
    dimension: str | None
    intercept: float
    not_applicable: float
    en: str
    ar: str


# fmt: off
ITEMS: tuple[Item, ...] = (
    Item("REQ", "q01", "INFO", 0.25, 0.02,
         "The requirements of the service were clear to me before I came.",
         "كانت متطلبات الخدمة واضحة لي قبل حضوري."),
    Item("FIND", "q02", "INFO", 0.0, 0.03,
         "It was easy to find the information I needed about the service.",
         "كان من السهل الوصول إلى المعلومات التي احتجتها عن الخدمة."),
    Item("EASE", "q03", "PROC", 0.3, 0.01,
         "The procedures were easy to complete.",
         "كانت الإجراءات سهلة الإنجاز."),
    Item("TIME", "q04", "PROC", -0.15, 0.01,
         "The service was completed in a reasonable time.",
         "أُنجزت الخدمة في وقت معقول."),
    Item("FIRST", "q05", "PROC", 0.1, 0.02,
         "My transaction was done right the first time.",
         "أُنجزت معاملتي بشكل صحيح من المرة الأولى."),
    Item("COURT", "q06", "STAFF", 0.8, 0.02,
         "Staff treated me with courtesy and respect.",
         "عاملني الموظفون بلباقة واحترام."),
    Item("HELP", "q07", "STAFF", 0.65, 0.02,
         "Staff were willing to help me.",
         "أبدى الموظفون استعدادًا لمساعدتي."),
    Item("KNOW", "q08", "STAFF", 0.5, 0.03,
         "Staff were knowledgeable and answered my questions.",
         "كان الموظفون على دراية وأجابوا عن أسئلتي."),
    Item("LISTEN", "q09", "LAST", 0.35, 0.02,
         "The staff member listened to me fully before responding.",
         "استمع إليّ الموظف جيدًا قبل أن يرد."),
    Item("APOL", "q10", "LAST", -0.3, 0.25,
         "When something went wrong, the staff member apologised.",
         "عندما حدث خطأ أو تأخير، اعتذر لي الموظف."),
    Item("SOLVE", "q11", "LAST", -0.1, 0.03,
         "My request was solved in this visit, without being told to come back another day.",
         "حُلّ طلبي في هذه الزيارة دون أن يُطلب مني المراجعة في يوم آخر."),
    Item("THANK", "q12", "LAST", 0.2, 0.02,
         "The staff member thanked me at the end of the service.",
         "شكرني الموظف في نهاية الخدمة."),
    Item("OUTC", "q13", "AFTER", 0.3, 0.02,
         "I got the outcome I needed from the service.",
         "حصلت على النتيجة التي احتجتها من الخدمة."),
    Item("TRACK", "q14", "AFTER", -0.35, 0.1,
         "I can easily track the status of my transaction.",
         "أستطيع متابعة حالة معاملتي بسهولة."),
    Item("COMPL", "q15", "AFTER", -0.55, 0.05,
         "I know how to make a complaint or a suggestion if I need to.",
         "أعرف كيف أقدم شكوى أو اقتراحًا إذا احتجت لذلك."),
    Item("SAT", "q16", None, 0.4, 0.0,
         "Overall, I am satisfied with the service I received.",
         "بشكل عام، أنا راضٍ عن الخدمة التي تلقيتها."),
    Item("TRUST", "q17", None, 0.4, 0.02,
         "I trust this agency to serve me fairly.",
         "أثق بأن هذه الجهة تخدمني بعدل وإنصاف."),
)
# fmt: on

ITEM_CODES = tuple(item.code for item in ITEMS)
OUTCOME = "SAT"
TRUST = "TRUST"

#: Dimensions in journey order: code -> (English label, Arabic label, stage).
DIMENSIONS: dict[str, tuple[str, str, str]] = {
    "INFO": ("Information and requirements", "المعلومات والمتطلبات", "before"),
    "PROC": ("Procedures and time", "الإجراءات والوقت", "during"),
    "STAFF": ("Staff", "الموظفون", "during"),
    "LAST": (
        "Listen, apologise, solve, thank (LAST)",
        "الاستماع والاعتذار والحل والشكر",
        "during",
    ),
    "AFTER": ("Outcome and follow-up", "النتيجة والمتابعة", "after"),
}
DIMENSION_ITEMS = {d: tuple(i.code for i in ITEMS if i.dimension == d) for d in DIMENSIONS}


@dataclass(frozen=True)
class Segment:
    """A respondent segment: codes, latent effects, raw values in the CSV and in the XLSX."""

    key: str
    column: str
    en: str
    ar: str
    codes: tuple[str, ...]
    effects: tuple[float, ...]
    csv_values: tuple[Any, ...]
    xlsx_values: tuple[Any, ...]
    blank: float  # share reported blank (unknown); the latent effect still applies


# fmt: off
SEGMENTS: tuple[Segment, ...] = (
    Segment("gender", "الجنس", "Gender", "الجنس", ("male", "female"), (0.0, 0.05),
            ("ذكر", "أنثى"), (1, 2), 0.0),
    Segment("age_band", "age_band", "Age band", "الفئة العمرية",
            ("18-29", "30-44", "45-59", "60+"), (-0.15, 0.0, 0.1, 0.2),
            ("من 18 إلى 29", "من 30 إلى 44", "من 45 إلى 59", "60 فأكثر"),
            ("18-29", "30-44", "45-59", "60+"), 0.03),
    Segment("nationality", "الجنسية", "Nationality", "الجنسية", ("saudi", "non_saudi"),
            (0.0, -0.05), ("سعودي", "غير سعودي"), ("Saudi", "Non-Saudi"), 0.01),
    Segment("channel", "channel", "Service channel", "قناة الخدمة",
            ("in_person", "phone", "online"), (0.0, -0.2, -0.6),
            ("حضوري", "هاتفي", "إلكتروني"), ("In person", "Phone", "Online"), 0.0),
    Segment("visit", "visit", "Visit", "نوع الزيارة", ("first", "repeat"), (0.0, -0.25),
            ("أول مرة", "مراجعة متكررة"), ("First visit", "Repeat visit"), 0.0),
)
# fmt: on
SEGMENT_KEYS = tuple(s.key for s in SEGMENTS)

#: Raw column names of the standard fields (some Arabic on purpose: the mapping is exercised).
COLUMNS = {
    "respondent": "response_id",
    "agency": "agency_id",
    "date": "interview_date",
    "duration_s": "duration_s",
    "comment": "ملاحظات",
}
RECOMMEND_COLUMN = "nps"

FIELDWORK = {
    "baseline": (date(2025, 1, 5), date(2025, 2, 10)),
    "followup": (date(2025, 9, 14), date(2025, 10, 23)),
}
INTERVENTION_START = date(2025, 2, 16)
INTERVENTION_END = date(2025, 9, 4)
WAVE_FILES = {"baseline": "surveys/baseline.csv", "followup": "surveys/followup.xlsx"}
CSV_DATE_FORMAT = "%d/%m/%Y"  # day/month/year, as Saudi exports usually are

# --------------------------------------------------------------------------------------------
# Model parameters
# --------------------------------------------------------------------------------------------

THRESHOLDS = np.array([-2.0, -1.1, -0.2, 0.9])
BLANK_PROBABILITY = 0.015
#: SD of the respondent random intercept (a general tendency to agree).
RANDOM_INTERCEPT_SD = 0.8
#: Grid step of the trapezoidal rule over the general tendency (random intercept + segment
#: effect); with Gaussian weights it converges geometrically: step 0.1 is exact to ~1e-12.
INTEGRATION_STEP = 0.1
#: Experience profiles: (baseline share, latent effect per dimension). A respondent's visit went
#: smoothly, or well, or one part of the journey went wrong; this is what makes the items of a
#: dimension hang together and the outcome depend more on some dimensions than on others.
PROFILES: dict[str, tuple[float, dict[str, float]]] = {
    "smooth": (0.45, {}),
    "delighted": (0.12, {"INFO": 0.6, "PROC": 0.6, "STAFF": 0.6, "LAST": 0.6, "AFTER": 0.6}),
    "waiting": (0.13, {"PROC": -0.9, "AFTER": -0.3}),
    "staff": (0.10, {"STAFF": -0.9, "LAST": -1.0}),
    "information": (0.10, {"INFO": -1.0, "AFTER": -0.4, "PROC": -0.2}),
    "unresolved": (0.10, {"LAST": -0.5, "AFTER": -1.0, "PROC": -0.4}),
}
#: Dirichlet concentration of an agency's profile shares around the baseline shares.
PROFILE_CONCENTRATION = 40.0
#: How the outcome responds to each dimension (the drivers of satisfaction).
SAT_LOADINGS = {"INFO": 0.3, "PROC": 0.6, "STAFF": 0.35, "LAST": 0.5, "AFTER": 0.45}
SAT_PROFILE_SCALE = 0.8
TRUST_LOADINGS = {"STAFF": 0.5, "AFTER": 0.5}
#: How strongly each dimension responds to the programme (LAST and staff are what is trained).
SHIFT_WEIGHTS = {"INFO": 0.7, "PROC": 0.8, "STAFF": 1.0, "LAST": 1.3, "AFTER": 0.6}
TRUST_SHIFT_WEIGHT = 0.5
#: Latent follow-up shift per unit of training coverage (staff trained / front-line staff).
DOSE_SLOPE = 0.9
DECLINE_SHIFT = -0.4
#: 0-10 likelihood to recommend: floor(a[k] + b * t + N(0, sd) + 0.5) clipped to 0..10, where
#: k is the respondent's (latent) satisfaction answer and t the general tendency (random
#: intercept plus segment effect).
RECOMMEND_BY_SAT = np.array([2.5, 4.5, 6.6, 8.4, 9.7])
RECOMMEND_U, RECOMMEND_SD = 0.8, 1.2
RECOMMEND_BLANK = 0.04
COMMENT_SHARE = 0.35
DURATION_MISSING = 0.01
#: Natural durations are median x exp(N(0, 0.3)) clipped to [0.7, 2.0] x median, speeders
#: 0.06-0.2 x median: since the agency-wave median of all rows lies in [0.7, 2.0] x median,
#: no natural row can fall under 0.33 x that median and every speeder does.
DURATION_CLIP = (0.7, 2.0)
SPEEDER_SHARE = (0.06, 0.2)
#: Expected planted faults per natural respondent, per agency and wave.
FAULT_RATES = {
    "duplicate": 0.012,
    "empty": 0.01,
    "speeder": 0.015,
    "straightliner": 0.01,
    "outside_fieldwork": 0.008,
}
MIX_SHIFT_CHANNEL = {"baseline": (0.72, 0.16, 0.12), "followup": (0.33, 0.12, 0.55)}
TINY_FOLLOWUP_NATURAL = 7
FIXED_TIMESTAMP = datetime(2025, 1, 1, 0, 0, 0)
ZIP_DATE_TIME = (1980, 1, 1, 0, 0, 0)

# fmt: off
#: Fictional agencies of the Eastern Province; the last ones are the comparison agencies.
AGENCY_CATALOGUE: tuple[tuple[str, str], ...] = (
    ("Eastern Province Municipality - Dammam Service Centre",
     "أمانة المنطقة الشرقية - مركز خدمات الدمام"),
    ("Al-Khobar Municipality", "بلدية محافظة الخبر"),
    ("Al-Ahsa Municipality - Al-Mubarraz Branch", "أمانة الأحساء - فرع المبرز"),
    ("Qatif Municipality", "بلدية محافظة القطيف"),
    ("Passports Department - Dammam", "إدارة الجوازات بالدمام"),
    ("Passports Office - Al-Ahsa", "مكتب الجوازات بالأحساء"),
    ("Civil Affairs - Dammam", "الأحوال المدنية بالدمام"),
    ("Civil Affairs - Jubail", "الأحوال المدنية بالجبيل"),
    ("Civil Affairs - Hafr Al-Batin", "الأحوال المدنية بحفر الباطن"),
    ("Traffic Department - Dammam", "إدارة المرور بالدمام"),
    ("Traffic Department - Al-Ahsa", "إدارة المرور بالأحساء"),
    ("Traffic Section - Khafji", "قسم المرور بالخفجي"),
    ("Labour Office - Dammam", "مكتب العمل بالدمام"),
    ("Labour Office - Al-Ahsa", "مكتب العمل بالأحساء"),
    ("Eastern Health Cluster - Dammam Medical Complex Outpatients",
     "تجمع الشرقية الصحي - العيادات الخارجية بمجمع الدمام الطبي"),
    ("Al-Ahsa Health Cluster - King Fahd Hospital, Hofuf",
     "تجمع الأحساء الصحي - مستشفى الملك فهد بالهفوف"),
    ("Primary Health Care Centre - Al-Rakah", "مركز الرعاية الصحية الأولية بالراكة"),
    ("General Court - Dammam", "المحكمة العامة بالدمام"),
    ("Personal Status Court - Dammam", "محكمة الأحوال الشخصية بالدمام"),
    ("Labour Court - Dammam", "المحكمة العمالية بالدمام"),
    ("Notary Public - Al-Khobar", "كتابة العدل بالخبر"),
    ("Notary Public - Qatif", "كتابة العدل بالقطيف"),
    ("Social Security Office - Dammam", "مكتب الضمان الاجتماعي بالدمام"),
    ("Ministry of Commerce - Eastern Province Branch", "فرع وزارة التجارة بالمنطقة الشرقية"),
    ("Eastern Province Education - Beneficiary Services",
     "تعليم المنطقة الشرقية - خدمات المستفيدين"),
    ("Civil Defense - Dammam Permits", "الدفاع المدني بالدمام - التراخيص"),
    ("Jubail Municipality", "بلدية محافظة الجبيل"),
    ("Passports Office - Al-Khobar", "مكتب الجوازات بالخبر"),
    ("Hafr Al-Batin Municipality", "بلدية محافظة حفر الباطن"),
    ("Traffic Department - Jubail", "إدارة المرور بالجبيل"),
    ("Civil Affairs - Al-Ahsa", "الأحوال المدنية بالأحساء"),
    ("Labour Office - Jubail", "مكتب العمل بالجبيل"),
    ("General Court - Al-Ahsa", "المحكمة العامة بالأحساء"),
    ("First Notary Public - Dammam", "كتابة العدل الأولى بالدمام"),
    ("Ras Tanura Municipality", "بلدية محافظة رأس تنورة"),
    ("Abqaiq Municipality", "بلدية محافظة بقيق"),
)

COMMENTS_POSITIVE = (
    "الموظف كان متعاوناً جداً وأنهى معاملتي بسرعة",
    "شكراً لكم على حسن الاستقبال",
    "خدمة ممتازة والإجراءات واضحة",
    "تم حل مشكلتي في نفس الزيارة، جزاكم الله خيراً",
    "الموظفة استمعت لي باهتمام وشرحت لي الخطوات",
    "تحسن ملحوظ في سرعة الإنجاز مقارنة بالسابق",
    "المكان مرتب والانتظار قصير",
    "تعامل راقٍ من جميع الموظفين",
    "Good service, thank you",
)
COMMENTS_NEUTRAL = (
    "الخدمة جيدة لكن الانتظار طويل نسبياً",
    "أتمنى توفير مواقف سيارات أكثر",
    "يفضل توضيح المتطلبات في الموقع الإلكتروني",
    "لا بأس",
    "التطبيق يحتاج إلى تحديث",
    "نرجو زيادة عدد الموظفين وقت الذروة",
    "الإجراءات مقبولة ولكن تحتاج إلى تبسيط",
)
COMMENTS_NEGATIVE = (
    "طلبوا مني المراجعة مرة أخرى بدون سبب واضح",
    "انتظرت أكثر من ساعتين",
    "لم أجد من يجيب على الهاتف",
    "المتطلبات غير واضحة وكل موظف يقول شيئاً مختلفاً",
    "لم يعتذر أحد عن الخطأ في بياناتي",
    "ما زالت معاملتي معلقة ولا أعرف كيف أتابعها",
    "لا أعرف أين أقدم شكوى",
    "The system was down and nobody explained anything",
)
COMMENTS_PHONE = (
    "أرجو التواصل معي على الرقم {phone}",
    "رقم جوالي {phone} ولم يتصل بي أحد حتى الآن",
    "للمتابعة اتصلوا على {phone} بعد العصر",
    "Please call me on {phone} about my request",
)
COMMENTS_NATIONAL_ID = (
    "رقم الهوية {nid} والمعاملة لم تنته",
    "سجلي المدني {nid}، أرجو متابعة الطلب",
    "رقم الإقامة {nid} وما زلت أنتظر الرد",
)
COMMENTS_EMAIL = (
    "راسلوني على {email} لو سمحتم",
    "أرسلت المستندات إلى {email} ولم يصلني رد",
)
COMMENTS_HTML = (
    "<script>alert(1)</script> الخدمة جيدة",
    "<b>شكراً</b> لجميع الموظفين",
    "الموظف <i>ممتاز</i> & متعاون",
    'اختبار <a href="javascript:alert(1)">رابط</a>',
)
EMAIL_NAMES = ("m.alqahtani", "fatimah.s", "abdullah99", "noura.h", "k.alzahrani", "sara.d")
# fmt: on

#: Planted personal data kinds in comments (counted in truth.json); at least this many a wave.
PII_MINIMUM = {"phone": 2, "national_id": 1, "email": 1, "html": 1}
PII_SHARE = {"phone": 0.06, "national_id": 0.03, "email": 0.02, "html": 0.015}

# --------------------------------------------------------------------------------------------
# Agency plan
# --------------------------------------------------------------------------------------------


@dataclass
class AgencyPlan:
    """Everything the generator decides about one agency before drawing respondents.

    ``offsets`` and ``shifts`` are latent-scale values per item code: the agency's profile and
    its planted follow-up shift. ``mix`` is wave -> segment key -> probabilities of the codes;
    ``profiles`` the shares of the experience profiles (``PROFILES`` order), both waves.
    """

    agency_id: str
    name_en: str
    name_ar: str
    group: str
    role: str
    frontline_staff: int
    monthly_beneficiaries: int
    level: float
    offsets: dict[str, float]
    shifts: dict[str, float]
    mix: dict[str, dict[str, np.ndarray]]
    profiles: np.ndarray
    n_natural: dict[str, int]
    faults: dict[str, dict[str, int]]
    duration_median: float
    coverage: float | None


def _profile_effects() -> np.ndarray:
    """Latent effect of each experience profile on each item (profiles x items)."""
    effects = np.zeros((len(PROFILES), len(ITEMS)))
    for row, (_, by_dim) in enumerate(PROFILES.values()):
        full = {d: by_dim.get(d, 0.0) for d in DIMENSIONS}
        sat = SAT_PROFILE_SCALE * sum(full[d] * w for d, w in SAT_LOADINGS.items())
        trust = sum(full[d] * w for d, w in TRUST_LOADINGS.items())
        values = _item_values(full, sat, trust)
        effects[row] = [values[code] for code in ITEM_CODES]
    return effects


def _dimension_blend(values: Mapping[str, float], loadings: Mapping[str, float]) -> float:
    """Loading-weighted mean of per-dimension values (how the outcome follows its drivers)."""
    total = sum(loadings.values())
    return sum(values[d] * w for d, w in loadings.items()) / total


def _item_values(dim_values: Mapping[str, float], sat: float, trust: float) -> dict[str, float]:
    return {
        item.code: (
            dim_values[item.dimension]
            if item.dimension is not None
            else (sat if item.code == OUTCOME else trust)
        )
        for item in ITEMS
    }


PROFILE_EFFECTS = _profile_effects()


def _role_assignment(programme: Sequence[int], rng: np.random.Generator) -> dict[int, str]:
    """Roles of programme agencies: one tiny follow-up, one decliner, one mix shift, no-change.

    Roles are only planted when there are enough programme agencies to keep most improving.
    """
    order = [programme[i] for i in rng.permutation(len(programme))]
    n = len(order)
    wanted = []
    if n >= 2:
        wanted.append("tiny_followup")
    if n >= 3:
        wanted.append("decliner")
    if n >= 4:
        wanted.append("mix_shift")
    if n >= 5:
        wanted += ["no_change"] * max(1, round(n / 8))
    roles = {index: "improver" for index in programme}
    for index, role in zip(order, wanted, strict=False):
        roles[index] = role
    return roles


def _agency_name(index: int) -> tuple[str, str]:
    if index < len(AGENCY_CATALOGUE):
        return AGENCY_CATALOGUE[index]
    number = index + 1
    return (f"Government Service Centre No. {number}", f"مركز الخدمات الحكومية رقم {number}")


def _draw_mix(rng: np.random.Generator) -> dict[str, np.ndarray]:
    """An agency's respondent mix: independent segment distributions."""
    female = rng.uniform(0.25, 0.55)
    age = rng.dirichlet([6.0, 8.0, 5.0, 2.0])
    saudi = rng.uniform(0.55, 0.9)
    in_person = rng.uniform(0.55, 0.85)
    phone = (1 - in_person) * rng.uniform(0.3, 0.6)
    repeat = rng.uniform(0.25, 0.5)
    return {
        "gender": np.array([1 - female, female]),
        "age_band": age,
        "nationality": np.array([saudi, 1 - saudi]),
        "channel": np.array([in_person, phone, 1 - in_person - phone]),
        "visit": np.array([1 - repeat, repeat]),
    }


def _sample_sizes(role: str, responses: int | None, rng: np.random.Generator) -> tuple[int, int]:
    """Natural (fault-free) respondents at baseline and follow-up."""
    if responses is None:
        baseline = int(round(np.exp(rng.uniform(np.log(45), np.log(520)))))
        followup = int(np.clip(round(baseline * np.exp(rng.normal(0, 0.2))), 40, 580))
        # The agencies that carry a planted story get enough respondents to show it.
        floor = {"mix_shift": 320, "decliner": 220}.get(role, 0)
        baseline, followup = max(baseline, floor), max(followup, floor)
    else:
        low, high = max(12, round(0.7 * responses)), max(12, round(1.4 * responses))
        baseline, followup = (
            int(np.clip(round(responses * np.exp(rng.normal(0, 0.15))), low, high))
            for _ in range(2)
        )
    if role == "tiny_followup":
        followup = TINY_FOLLOWUP_NATURAL
    return baseline, followup


def _fault_counts(n_natural: int, rng: np.random.Generator) -> dict[str, int]:
    return {
        reason: int(min(8, rng.poisson(rate * n_natural))) for reason, rate in FAULT_RATES.items()
    }


def _interventions(
    agency_id: str, role: str, staff: int, rng: np.random.Generator
) -> list[dict[str, Any]]:
    """Activity log of one programme agency; its staff_trained sum sets the coverage."""
    # Coverage ranges by role make the dose-response visible: the mix-shift agency must
    # improve clearly for its raw and mix-adjusted changes to tell different stories.
    low, high = {"no_change": (0.04, 0.14), "decliner": (0.04, 0.14), "mix_shift": (0.55, 0.9)}.get(
        role, (0.2, 0.9)
    )
    target = rng.uniform(low, high)
    trained = max(1, int(round(target * staff)))
    ambassadors = min(trained, 1 if staff < 60 else 2)
    rest = trained - ambassadors
    span = (INTERVENTION_END - INTERVENTION_START).days

    def day(lo: int, hi: int) -> date:
        return INTERVENTION_START + timedelta(days=int(rng.integers(lo, hi + 1)))

    rows = [
        {
            "agency_id": agency_id,
            "date": day(0, 18),
            "activity": "ambassador training",
            "staff_trained": ambassadors,
            "hours": float(rng.choice([16.0, 20.0, 24.0])),
        }
    ]
    sessions = min(rest, int(np.clip(np.ceil(rest / 12), 1, 8))) if rest > 0 else 0
    if sessions:
        split = 1 + rng.multinomial(rest - sessions, np.full(sessions, 1 / sessions))
        for size in split:
            workshop = rng.random() < 0.7
            rows.append(
                {
                    "agency_id": agency_id,
                    "date": day(21, span),
                    "activity": "staff workshop" if workshop else "coaching",
                    "staff_trained": int(size),
                    "hours": float(rng.integers(4, 13) / 2 if workshop else rng.integers(2, 7) / 2),
                }
            )
    for activity, count, hours in (
        ("procedure documentation", int(rng.integers(1, 3)), (4, 16)),
        ("field visit", int(rng.integers(0 if role == "no_change" else 1, 4)), (2, 4)),
    ):
        for _ in range(count):
            rows.append(
                {
                    "agency_id": agency_id,
                    "date": day(21, span),
                    "activity": activity,
                    "staff_trained": 0,
                    "hours": float(rng.integers(hours[0], hours[1] + 1)),
                }
            )
    rows.sort(key=lambda r: (r["date"], r["activity"]))
    return rows


def plan_study(
    agencies: int, rng: np.random.Generator, responses: int | None = None
) -> tuple[list[AgencyPlan], list[dict[str, Any]]]:
    """Decide every agency's parameters, roles, sample sizes, faults and activity log.

    Parameters
    ----------
    agencies : int
        Total number of agencies; about one in five is a comparison agency (at least one when
        there are two or more).
    rng : numpy.random.Generator
        The study's only random stream.
    responses : int, optional
        Typical natural respondents per agency and wave; ``None`` draws a realistic 40-600.

    Returns
    -------
    (list of AgencyPlan, list of dict)
        The plans and the interventions log rows.
    """
    if agencies < 1:
        raise ValueError("agencies must be at least 1")
    n_comparison = 0 if agencies < 2 else max(1, round(agencies / 5))
    n_programme = agencies - n_comparison
    roles = _role_assignment(list(range(n_programme)), rng)
    width = max(2, len(str(agencies)))
    plans: list[AgencyPlan] = []
    interventions: list[dict[str, Any]] = []
    for index in range(agencies):
        agency_id = f"AG{index + 1:0{width}d}"
        group = "programme" if index < n_programme else "comparison"
        role = roles.get(index, "comparison")
        name_en, name_ar = _agency_name(index)
        staff = int(round(np.exp(rng.uniform(np.log(15), np.log(180)))))
        level = rng.normal(0, 0.3)
        dim_offsets = {d: rng.normal(0, 0.2) for d in DIMENSIONS}
        offsets = _item_values(
            dim_offsets,
            _dimension_blend(dim_offsets, SAT_LOADINGS) + rng.normal(0, 0.05),
            rng.normal(0, 0.15),
        )
        mix = _draw_mix(rng)
        base_shares = np.array([share for share, _ in PROFILES.values()])
        profiles = rng.dirichlet(PROFILE_CONCENTRATION * base_shares)
        mixes = {"baseline": mix, "followup": {k: v.copy() for k, v in mix.items()}}
        if role == "mix_shift":
            for wave, probabilities in MIX_SHIFT_CHANNEL.items():
                mixes[wave]["channel"] = np.array(probabilities)
        n_base, n_follow = _sample_sizes(role, responses, rng)
        faults = {"baseline": _fault_counts(n_base, rng), "followup": _fault_counts(n_follow, rng)}
        if role == "tiny_followup":
            faults["followup"] = {reason: 0 for reason in FAULT_RATES} | {"empty": 1}
        coverage = None
        if group == "programme":
            log = _interventions(agency_id, role, staff, rng)
            interventions += log
            coverage = sum(row["staff_trained"] for row in log) / staff
        if role == "no_change":
            strength, noise = 0.0, 0.0
        elif role == "decliner":
            strength, noise = DECLINE_SHIFT, 0.04
        elif group == "comparison":
            strength, noise = rng.normal(0.05, 0.03), 0.02
        else:
            strength, noise = DOSE_SLOPE * coverage + rng.normal(0, 0.06), 0.04
        dim_shifts = {d: strength * w + noise * rng.normal() for d, w in SHIFT_WEIGHTS.items()}
        shifts = _item_values(
            dim_shifts,
            _dimension_blend(dim_shifts, SAT_LOADINGS),
            TRUST_SHIFT_WEIGHT * strength,
        )
        plans.append(
            AgencyPlan(
                agency_id=agency_id,
                name_en=name_en,
                name_ar=name_ar,
                group=group,
                role=role,
                frontline_staff=staff,
                monthly_beneficiaries=int(round(n_base * rng.uniform(25, 70), -1)),
                level=float(level),
                offsets={k: float(v) for k, v in offsets.items()},
                shifts={k: float(v) for k, v in shifts.items()},
                mix=mixes,
                profiles=profiles,
                n_natural={"baseline": n_base, "followup": n_follow},
                faults=faults,
                duration_median=float(rng.uniform(300, 600)),
                coverage=coverage,
            )
        )
    _ensure_every_fault(plans, rng)
    return plans, interventions


def _ensure_every_fault(plans: list[AgencyPlan], rng: np.random.Generator) -> None:
    """Plant at least one fault of every reason in every wave, so each rule is exercised."""
    eligible = [p for p in plans if p.role != "tiny_followup"] or plans
    for wave in config.WAVES:
        for reason in FAULT_RATES:
            if sum(p.faults[wave][reason] for p in plans) == 0:
                plan = eligible[int(rng.integers(len(eligible)))]
                plan.faults[wave][reason] = 1


# --------------------------------------------------------------------------------------------
# Population truth (exact)
# --------------------------------------------------------------------------------------------


def ordered_probit_probabilities(
    mean: np.ndarray, sd: np.ndarray | float, thresholds: np.ndarray = THRESHOLDS
) -> np.ndarray:
    """Category probabilities of an ordered-probit variable.

    .. math:: P(x = k) = \\Phi\\left(\\frac{\\tau_k - m}{s}\\right)
              - \\Phi\\left(\\frac{\\tau_{k-1} - m}{s}\\right),
              \\quad \\tau_0 = -\\infty,\\ \\tau_K = +\\infty

    Parameters
    ----------
    mean : array
        Latent means ``m`` (any shape).
    sd : array or float
        Latent SDs ``s``, broadcastable against ``mean``.
    thresholds : array
        The ``K - 1`` increasing cut points.

    Returns
    -------
    array
        ``mean.shape + (K,)`` probabilities of categories 1..K.
    """
    mean = np.asarray(mean, dtype=float)
    cut = np.concatenate(([-np.inf], np.asarray(thresholds, dtype=float), [np.inf]))
    z = (cut - mean[..., None]) / np.asarray(sd, dtype=float)[..., None]
    return np.diff(ndtr(z), axis=-1)


def segment_cells(mix: Mapping[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Probability and latent segment effect of every segment cell (product of segments)."""
    probabilities = np.ones(1)
    effects = np.zeros(1)
    for segment in SEGMENTS:
        p = np.asarray(mix[segment.key], dtype=float)
        probabilities = np.outer(probabilities, p).ravel()
        effects = np.add.outer(effects, np.asarray(segment.effects)).ravel()
    return probabilities, effects


def latent_item_means(plan: AgencyPlan, wave: str) -> np.ndarray:
    """Latent mean of every item before segment, profile and respondent effects."""
    return np.array(
        [
            item.intercept
            + plan.level
            + plan.offsets[item.code]
            + (plan.shifts[item.code] if wave == "followup" else 0.0)
            for item in ITEMS
        ]
    )


def answer_probabilities() -> np.ndarray:
    """Probability that each item is answered (neither N/A nor blank)."""
    return np.array([1.0 - item.not_applicable - BLANK_PROBABILITY for item in ITEMS])


def _products_leaving_one_out(factors: np.ndarray) -> np.ndarray:
    """Product over axis 1 of ``factors`` without each position in turn (zeros allowed)."""
    ones = np.ones_like(factors[:, :1])
    prefix = np.concatenate([ones, np.cumprod(factors, axis=1)[:, :-1]], axis=1)
    suffix = np.cumprod(factors[:, ::-1], axis=1)[:, ::-1]
    suffix = np.concatenate([suffix[:, 1:], ones], axis=1)
    return prefix * suffix


def natural_item_moments(
    probs: np.ndarray, weights: np.ndarray, answered: np.ndarray
) -> dict[str, np.ndarray | float]:
    r"""Item moments among natural respondents (answered items not all identical).

    Items are independent given a configuration ``g`` (segment cell, experience profile,
    random intercept), each answered with probability ``q_i`` independently of its value. A
    respondent is natural unless every answered item has the same value ``k`` (or none is
    answered). With :math:`T_{gik} = 1 - q_i + q_i p_{gik}` (item ``i`` unanswered or equal
    to ``k``),

    .. math::

        P(x_i = k, \text{natural} \mid g, i \text{ answered})
            = p_{gik} \Big(1 - \prod_{j \ne i} T_{gjk}\Big), \qquad
        P(\text{natural} \mid g) = 1 - \sum_k \prod_j T_{gjk} + (K - 1) \prod_j (1 - q_j).

    Parameters
    ----------
    probs : array, shape (G, I, K)
        Category probabilities of each item given each configuration.
    weights : array, shape (G,)
        Configuration probabilities (summing to 1).
    answered : array, shape (I,)
        Answer probabilities ``q_i``.

    Returns
    -------
    dict
        ``mean``, ``second`` (E[x^2]) and ``top2`` (P(x >= K - 1)) per item among the natural
        respondents who answered it, on the scale ``SCALE_MIN .. SCALE_MIN + K - 1``; and
        ``natural`` (the probability that a draw is natural).
    """
    q = np.asarray(answered, dtype=float)[None, :, None]
    match = 1.0 - q + q * probs
    joint = probs * (1.0 - _products_leaving_one_out(match))
    values = SCALE_MIN + np.arange(probs.shape[-1], dtype=float)
    den = np.einsum("g,gik->i", weights, joint)
    none = float(np.prod(1.0 - np.asarray(answered, dtype=float)))
    reject = np.prod(match, axis=1).sum(axis=1) - (probs.shape[-1] - 1) * none
    return {
        "mean": np.einsum("g,gik,k->i", weights, joint, values) / den,
        "second": np.einsum("g,gik,k->i", weights, joint, values**2) / den,
        "top2": np.einsum("g,gik->i", weights, joint[..., -2:]) / den,
        "natural": float(weights @ (1.0 - reject)),
    }


def natural_dimension_mean(
    probs: np.ndarray, weights: np.ndarray, answered: np.ndarray, members: Sequence[int]
) -> float:
    r"""Expected respondent dimension score among natural respondents that have one.

    The score is the mean of the answered member items, kept when at least half of them are
    answered (DESIGN.md section 4). Summing over the answered subsets ``S`` of the members,

    .. math::

        E[\text{score}] = \frac{\sum_S P(S) \sum_g w_g
            \big(\bar\mu_{gS} - \sum_k k \prod_{i \in S} p_{gik} C_{gk}\big)}
            {\sum_S P(S) \sum_g w_g \big(1 - \sum_k \prod_{i \in S} p_{gik} C_{gk}\big)},

    where :math:`\bar\mu_{gS}` is the mean of the member means over ``S`` and
    :math:`C_{gk} = \prod_{j \notin \text{members}} (1 - q_j + q_j p_{gjk})` is the
    probability that the other answered items all equal ``k`` too (a straight line, re-drawn).
    Arguments as :func:`natural_item_moments`; returns the score on the answer scale.
    """
    q = np.asarray(answered, dtype=float)
    members = list(members)
    outside = [j for j in range(probs.shape[1]) if j not in members]
    others = np.prod(1.0 - q[None, outside, None] + q[None, outside, None] * probs[:, outside], 1)
    values = SCALE_MIN + np.arange(probs.shape[-1], dtype=float)
    item_means = probs @ values
    num = den = 0.0
    n = len(members)
    for size in range(1, n + 1):
        if 2 * size < n:
            continue
        for subset in combinations(members, size):
            rest = [i for i in members if i not in subset]
            p_subset = float(np.prod(q[list(subset)]) * np.prod(1.0 - q[rest]))
            same = np.prod(probs[:, list(subset)], axis=1) * others
            num += p_subset * weights @ (item_means[:, list(subset)].mean(axis=1) - same @ values)
            den += p_subset * weights @ (1.0 - same.sum(axis=1))
    return float(num / den)


def _configurations(
    plan: AgencyPlan, wave: str, mix: Mapping[str, np.ndarray] | None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    r"""Weights, latent item means and general tendency of every configuration.

    The segment effect and the random intercept both add one value ``t`` to every item, so a
    configuration is an experience profile x a value of ``t``; ``t`` has the density
    :math:`\sum_c P(c)\, \phi((t - e_c) / \sigma_u) / \sigma_u` over segment cells ``c``
    with effects :math:`e_c`, integrated with the trapezoidal rule on a fine grid, which is
    exponentially convergent for such integrands (Trefethen & Weideman, 2014). Given a configuration, the items are
    independent ordered probits with unit SD.
    """
    cell_p, cell_effect = segment_cells(plan.mix[wave] if mix is None else mix)
    sd = RANDOM_INTERCEPT_SD
    count = int(np.ceil((cell_effect.max() - cell_effect.min() + 16 * sd) / INTEGRATION_STEP))
    grid = cell_effect.min() - 8 * sd + INTEGRATION_STEP * np.arange(count + 1)
    density = cell_p @ np.exp(-0.5 * ((grid[None, :] - cell_effect[:, None]) / sd) ** 2)
    weights = plan.profiles[:, None] * (density / density.sum())[None, :]
    means = latent_item_means(plan, wave) + PROFILE_EFFECTS[:, None, :] + grid[None, :, None]
    return (
        weights.ravel(),
        means.reshape(-1, len(ITEMS)),
        np.broadcast_to(grid[None, :], weights.shape).ravel(),
    )


def population_truth(
    plan: AgencyPlan, wave: str, mix: Mapping[str, np.ndarray] | None = None
) -> dict[str, Any]:
    """Exact population values of an agency and wave under the generating model.

    Sums over experience profiles, integrates over the general tendency (segment effect plus
    random intercept, :func:`_configurations`), and conditions on the respondent being natural (the generator re-draws
    respondents whose answered items are all identical), so the values describe exactly the
    distribution of the natural rows written to the files.

    Parameters
    ----------
    plan : AgencyPlan
    wave : {"baseline", "followup"}
        Which latent shifts apply.
    mix : mapping, optional
        Respondent mix to use instead of the wave's own (for mix-adjusted changes).

    Returns
    -------
    dict
        ``items`` (index 0-100 per item code), ``top2box`` (percent), ``mean`` and ``sd``
        (answer scale) per item; ``dimensions`` (index per dimension); ``outcome`` (index of
        the outcome item); ``nps``; ``redrawn_share`` (share of draws re-drawn).
    """
    weights, means, tendency = _configurations(plan, wave, mix)
    probs = ordered_probit_probabilities(means, 1.0)
    answered = answer_probabilities()
    moments = natural_item_moments(probs, weights, answered)
    mean, second = moments["mean"], moments["second"]
    index = (mean - SCALE_MIN) / (SCALE_MAX - SCALE_MIN) * 100
    dims = {}
    for dim, codes in DIMENSION_ITEMS.items():
        score = natural_dimension_mean(
            probs, weights, answered, [ITEM_CODES.index(c) for c in codes]
        )
        dims[dim] = (score - SCALE_MIN) / (SCALE_MAX - SCALE_MIN) * 100
    # Recommend: promoters score 9-10, detractors 0-6, among natural respondents; it depends on
    # the latent satisfaction answer k and the general tendency, so condition on k natural.
    sat = ITEM_CODES.index(OUTCOME)
    q = answered[None, :, None]
    match = 1.0 - q + q * probs
    others = np.delete(match, sat, axis=1)
    line = np.prod(others, axis=1)  # the other answered items all equal k
    none = float(np.prod(np.delete(1.0 - answered, sat)))
    line_any = line.sum(axis=1) - (probs.shape[-1] - 1) * none
    natural_k = answered[sat] * (1.0 - line) + (1.0 - answered[sat]) * (1.0 - line_any)[:, None]
    centre = RECOMMEND_BY_SAT[None, :] + RECOMMEND_U * tendency[:, None]
    joint = weights[:, None] * probs[:, sat] * natural_k
    promoters = (joint * ndtr((centre - 8.5) / RECOMMEND_SD)).sum()
    detractors = (joint * ndtr((6.5 - centre) / RECOMMEND_SD)).sum()
    return {
        "items": dict(zip(ITEM_CODES, index.tolist(), strict=True)),
        "top2box": dict(zip(ITEM_CODES, (moments["top2"] * 100).tolist(), strict=True)),
        "mean": dict(zip(ITEM_CODES, mean.tolist(), strict=True)),
        "sd": dict(zip(ITEM_CODES, np.sqrt(second - mean**2).tolist(), strict=True)),
        "dimensions": dims,
        "outcome": float(index[sat]),
        "nps": float((promoters - detractors) / joint.sum() * 100),
        "redrawn_share": 1.0 - moments["natural"],
    }


# --------------------------------------------------------------------------------------------
# Drawing respondents
# --------------------------------------------------------------------------------------------


def _draw_segment_picks(
    mix: Mapping[str, np.ndarray], n: int, rng: np.random.Generator
) -> np.ndarray:
    """Index of each respondent's code in every segment (respondents x segments)."""
    picks = [rng.choice(len(s.codes), size=n, p=np.asarray(mix[s.key])) for s in SEGMENTS]
    return np.column_stack(picks).astype(int) if n else np.zeros((0, len(SEGMENTS)), int)


def _segment_columns(picks: np.ndarray) -> dict[str, np.ndarray]:
    return {s.key: np.asarray(s.codes, dtype=object)[picks[:, j]] for j, s in enumerate(SEGMENTS)}


def draw_segments(mix: Mapping[str, np.ndarray], n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Segment codes of ``n`` respondents drawn from an agency-wave mix."""
    return pd.DataFrame(_segment_columns(_draw_segment_picks(mix, n, rng)))


def _draw_answers(
    plan: AgencyPlan, wave: str, picks: np.ndarray, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Item codes (1-5, 9 for N/A, NaN for blank) and the 0-10 recommend score."""
    n = len(picks)
    effect = np.zeros(n)
    for j, segment in enumerate(SEGMENTS):
        effect += np.asarray(segment.effects)[picks[:, j]]
    profile = rng.choice(len(PROFILES), size=n, p=plan.profiles)
    tendency = effect + rng.normal(0, RANDOM_INTERCEPT_SD, n)
    latent = (
        latent_item_means(plan, wave)[None, :]
        + PROFILE_EFFECTS[profile]
        + tendency[:, None]
        + rng.normal(size=(n, len(ITEMS)))
    )
    answers = (np.searchsorted(THRESHOLDS, latent) + SCALE_MIN).astype(float)
    satisfaction = answers[:, ITEM_CODES.index(OUTCOME)].astype(int) - SCALE_MIN
    recommend = np.floor(
        RECOMMEND_BY_SAT[satisfaction]
        + RECOMMEND_U * tendency
        + rng.normal(0, RECOMMEND_SD, n)
        + 0.5
    ).clip(0, 10)
    recommend[rng.random(n) < RECOMMEND_BLANK] = np.nan
    u = rng.random((n, len(ITEMS)))
    na = np.array([item.not_applicable for item in ITEMS])
    answers[u < na] = NA_CODE
    answers[(u >= na) & (u < na + BLANK_PROBABILITY)] = np.nan
    return answers, recommend


def _answered_all_identical(answers: np.ndarray) -> np.ndarray:
    """Rows whose answered items (not N/A, not blank) are all the same value, or none."""
    valid = np.where(answers == NA_CODE, np.nan, answers)
    low = np.min(np.where(np.isnan(valid), np.inf, valid), axis=1)
    high = np.max(np.where(np.isnan(valid), -np.inf, valid), axis=1)
    return ~(high > low)


def draw_respondents(plan: AgencyPlan, wave: str, n: int, rng: np.random.Generator) -> pd.DataFrame:
    """Draw ``n`` natural (fault-free) respondents of an agency and wave.

    A respondent whose answered items are all identical (or who answered none) is re-drawn,
    so that no natural respondent trips the straight-liner or empty rules.
    :func:`population_truth` conditions on exactly this, so it is the truth of these draws.

    Returns
    -------
    DataFrame
        Segment code columns, one float column per item code (1-5, 9 = N/A, NaN = blank) and
        ``recommend`` (0-10 or NaN).
    """
    picks = _draw_segment_picks(plan.mix[wave], n, rng)
    answers, recommend = _draw_answers(plan, wave, picks, rng)
    redo = _answered_all_identical(answers)
    while redo.any():
        fresh_picks = _draw_segment_picks(plan.mix[wave], int(redo.sum()), rng)
        fresh_answers, fresh_recommend = _draw_answers(plan, wave, fresh_picks, rng)
        picks[redo], answers[redo], recommend[redo] = fresh_picks, fresh_answers, fresh_recommend
        redo = _answered_all_identical(answers)
    columns: dict[str, np.ndarray] = _segment_columns(picks)
    columns.update({code: answers[:, j] for j, code in enumerate(ITEM_CODES)})
    columns["recommend"] = recommend
    return pd.DataFrame(columns)


def _natural_durations(plan: AgencyPlan, n: int, rng: np.random.Generator) -> np.ndarray:
    factor = np.exp(rng.normal(0, 0.3, n)).clip(*DURATION_CLIP)
    return np.round(plan.duration_median * factor)


def _dates_inside(wave: str, n: int, rng: np.random.Generator) -> list[date]:
    start, end = FIELDWORK[wave]
    days = rng.integers(0, (end - start).days + 1, n)
    return [start + timedelta(days=int(d)) for d in days]


def _dates_outside(wave: str, n: int, rng: np.random.Generator) -> list[date]:
    start, end = FIELDWORK[wave]
    out = []
    for _ in range(n):
        gap = timedelta(days=int(rng.integers(2, 21)))
        out.append(start - gap if rng.random() < 0.5 else end + gap)
    return out


def _agency_wave_rows(plan: AgencyPlan, wave: str, rng: np.random.Generator) -> pd.DataFrame:
    """Natural respondents plus the planted non-duplicate faults of one agency and wave."""
    n = plan.n_natural[wave]
    faults = plan.faults[wave]
    natural = draw_respondents(plan, wave, n, rng)
    natural["date"] = _dates_inside(wave, n, rng)
    durations = _natural_durations(plan, n, rng)
    durations[rng.random(n) < DURATION_MISSING] = np.nan
    natural["duration_s"] = durations
    natural["fault"] = ""
    parts = [natural]

    k = faults["speeder"]
    speeders = draw_respondents(plan, wave, k, rng)
    speeders["date"] = _dates_inside(wave, k, rng)
    speeders["duration_s"] = np.round(plan.duration_median * rng.uniform(*SPEEDER_SHARE, k))
    speeders["fault"] = "speeder"
    parts.append(speeders)

    k = faults["outside_fieldwork"]
    outside = draw_respondents(plan, wave, k, rng)
    outside["date"] = _dates_outside(wave, k, rng)
    outside["duration_s"] = _natural_durations(plan, k, rng)
    outside["fault"] = "outside_fieldwork"
    parts.append(outside)

    k = faults["straightliner"]
    straight = draw_segments(plan.mix[wave], k, rng)
    values = rng.choice([5, 4, 3, 1], size=k, p=[0.55, 0.2, 0.15, 0.1]).astype(float)
    block = np.repeat(values[:, None], len(ITEMS), axis=1)
    for row in range(k):  # a couple of skipped items keep well over 8 answered
        block[row, rng.choice(len(ITEMS), size=int(rng.integers(0, 3)), replace=False)] = np.nan
    for column, code in enumerate(ITEM_CODES):
        straight[code] = block[:, column]
    straight["recommend"] = rng.integers(0, 11, k).astype(float)
    straight["date"] = _dates_inside(wave, k, rng)
    straight["duration_s"] = _natural_durations(plan, k, rng)
    straight["fault"] = "straightliner"
    parts.append(straight)

    k = faults["empty"]
    empty = draw_segments(plan.mix[wave], k, rng)
    fill = np.where(rng.random(k) < 0.4, float(NA_CODE), np.nan)
    for code in ITEM_CODES:
        empty[code] = fill
    empty["recommend"] = np.nan
    empty["date"] = _dates_inside(wave, k, rng)
    empty["duration_s"] = _natural_durations(plan, k, rng)
    empty["fault"] = "empty"
    parts.append(empty)

    rows = pd.concat(parts, ignore_index=True)
    rows.insert(0, "agency_id", plan.agency_id)
    return rows


# --------------------------------------------------------------------------------------------
# Comments
# --------------------------------------------------------------------------------------------


def _phone(rng: np.random.Generator) -> str:
    digits = "".join(str(d) for d in rng.integers(0, 10, 7))
    prefix = f"5{rng.choice([0, 3, 4, 5, 6, 9])}"
    style = int(rng.integers(4))
    if style == 0:
        return f"0{prefix}{digits}"
    if style == 1:
        return f"+966 {prefix} {digits[:3]} {digits[3:]}"
    if style == 2:
        return f"966{prefix}{digits}"
    return f"0{prefix}-{digits[:3]}-{digits[3:]}"


def _national_id(rng: np.random.Generator) -> str:
    return str(rng.choice([1, 2])) + "".join(str(d) for d in rng.integers(0, 10, 9))


def _comment(kind: str, sat: float, rng: np.random.Generator) -> str:
    """One comment: personal data of ``kind`` ('' for none), tone following satisfaction."""
    if kind == "phone":
        return str(rng.choice(COMMENTS_PHONE)).format(phone=_phone(rng))
    if kind == "national_id":
        return str(rng.choice(COMMENTS_NATIONAL_ID)).format(nid=_national_id(rng))
    if kind == "email":
        name = str(rng.choice(EMAIL_NAMES))
        return str(rng.choice(COMMENTS_EMAIL)).format(email=f"{name}@example.com")
    if kind == "html":
        return str(rng.choice(COMMENTS_HTML))
    if sat >= 4:
        pool = COMMENTS_POSITIVE
    elif sat <= 2:
        pool = COMMENTS_NEGATIVE
    else:
        pool = COMMENTS_NEUTRAL
    return str(rng.choice(pool))


def _add_comments(rows: pd.DataFrame, rng: np.random.Generator) -> pd.DataFrame:
    """Comments for about a third of the answered rows; personal data planted in some."""
    n = len(rows)
    has_comment = (rng.random(n) < COMMENT_SHARE) & (rows["fault"] != "empty").to_numpy()
    kinds = np.full(n, "", dtype=object)
    u = rng.random(n)
    edge = 0.0
    for kind, share in PII_SHARE.items():
        kinds[has_comment & (u >= edge) & (u < edge + share)] = kind
        edge += share
    natural = np.flatnonzero((rows["fault"] == "").to_numpy())
    for kind, minimum in PII_MINIMUM.items():
        missing = minimum - int((kinds == kind).sum())
        if missing > 0:
            free = [i for i in natural if kinds[i] == ""]
            chosen = rng.choice(free, size=missing, replace=False)
            has_comment[chosen] = True
            kinds[chosen] = kind
    sat = rows[OUTCOME].to_numpy(dtype=float)
    comments = [_comment(kinds[i], sat[i], rng) if has_comment[i] else "" for i in range(n)]
    return rows.assign(comment=comments, comment_kind=kinds)


# --------------------------------------------------------------------------------------------
# Waves: duplicates, order, ids, and a self-check of the planted faults
# --------------------------------------------------------------------------------------------


def _add_duplicates(
    rows: pd.DataFrame, plans: Sequence[AgencyPlan], wave: str, rng: np.random.Generator
) -> pd.DataFrame:
    """Append duplicate rows: a later row repeating an earlier natural respondent's id.

    Half are exact re-submissions, half a different natural interview given the same id.
    """
    rows = rows.assign(key=np.arange(len(rows)), duplicate_of=-1)
    extra = []
    end = FIELDWORK[wave][1]
    for plan in plans:
        k = plan.faults[wave]["duplicate"]
        if not k:
            continue
        pool = rows.index[(rows["agency_id"] == plan.agency_id) & (rows["fault"] == "")]
        copies = rows.loc[rng.choice(pool, size=k, replace=False)].reset_index(drop=True)
        fresh = draw_respondents(plan, wave, k, rng)
        other = rng.random(k) < 0.5
        for column in fresh.columns:
            copies[column] = np.where(other, fresh[column].to_numpy(), copies[column].to_numpy())
        durations = _natural_durations(plan, k, rng)
        copies["duration_s"] = np.where(other, durations, copies["duration_s"].to_numpy())
        for column in ("comment", "comment_kind"):
            copies[column] = np.where(other, "", copies[column].to_numpy())
        later = rng.integers(0, 3, k)
        copies["date"] = [
            min(d + timedelta(days=int(g)), end) for d, g in zip(copies["date"], later, strict=True)
        ]
        copies["duplicate_of"] = copies["key"].to_numpy()
        copies["key"] = len(rows) + sum(len(e) for e in extra) + np.arange(k)
        copies["fault"] = "duplicate"
        extra.append(copies)
    if extra:
        rows = pd.concat([rows, *extra], ignore_index=True)
    return rows


def _order_and_number(rows: pd.DataFrame, wave: str, rng: np.random.Generator) -> pd.DataFrame:
    """Sort by agency then interview date, duplicates right after their original; give ids."""
    tiebreak = rng.random(len(rows))
    rows = rows.assign(tiebreak=tiebreak)
    original_tiebreak = dict(zip(rows["key"], rows["tiebreak"], strict=False))
    is_dup = rows["duplicate_of"] >= 0
    rows.loc[is_dup, "tiebreak"] = [
        original_tiebreak[k] + 1e-9 for k in rows.loc[is_dup, "duplicate_of"]
    ]
    rows = rows.sort_values(["agency_id", "date", "tiebreak"], kind="mergesort").reset_index(
        drop=True
    )
    letter = "B" if wave == "baseline" else "F"
    ids: dict[int, str] = {}
    counters: dict[str, int] = {}
    respondent = []
    for agency, key, original in zip(
        rows["agency_id"], rows["key"], rows["duplicate_of"], strict=True
    ):
        if original >= 0:
            respondent.append(ids[original])
            continue
        counters[agency] = counters.get(agency, 0) + 1
        ids[key] = f"{agency}-{letter}-{counters[agency]:04d}"
        respondent.append(ids[key])
    return rows.assign(respondent=respondent)


def quality_reasons(rows: pd.DataFrame, wave: str) -> list[str]:
    """The quality rules of DESIGN.md section 3 (defaults), first match wins; '' when kept.

    Used as a self-check of the planted faults: every planted row must trip exactly its own
    rule and no natural row any rule. The speeder median is over the agency-wave rows with a
    duration that are not duplicates or empty (as ``analysis.prepare`` takes it).
    """
    items = rows[list(ITEM_CODES)].to_numpy(dtype=float)
    items = np.where(items == NA_CODE, np.nan, items)
    answered = (~np.isnan(items)).sum(axis=1)
    duplicate = rows["respondent"].duplicated(keep="first").to_numpy()
    empty = answered == 0
    duration = rows["duration_s"].to_numpy(dtype=float)
    eligible = pd.Series(np.where(duplicate | empty, np.nan, duration))
    median = eligible.groupby(rows["agency_id"].to_numpy()).transform("median").to_numpy()
    speeder = duration < config.DEFAULT_QUALITY["speeders"] * median
    with np.errstate(invalid="ignore"):
        same = np.nanmax(np.where(np.isnan(items), -np.inf, items), axis=1) == np.nanmin(
            np.where(np.isnan(items), np.inf, items), axis=1
        )
    straight = (answered >= config.DEFAULT_QUALITY["straightliners"]) & same
    start, end = FIELDWORK[wave]
    outside = np.array([d < start or d > end for d in rows["date"]])
    reasons = []
    for flags in zip(duplicate, empty, speeder, straight, outside, strict=True):
        hit = [r for r, f in zip(config.RESPONDENT_REASONS, flags, strict=True) if f]
        reasons.append(hit[0] if hit else "")
    return reasons


def build_wave(plans: Sequence[AgencyPlan], wave: str, rng: np.random.Generator) -> pd.DataFrame:
    """All rows of one wave file, in file order, with their planted fault ('' when natural)."""
    rows = pd.concat([_agency_wave_rows(p, wave, rng) for p in plans], ignore_index=True)
    rows = _add_comments(rows, rng)
    rows = _add_duplicates(rows, plans, wave, rng)
    rows = _order_and_number(rows, wave, rng)
    found = quality_reasons(rows, wave)
    wrong = [(r, f) for r, f in zip(rows["fault"], found, strict=True) if r != f]
    if wrong:
        raise RuntimeError(f"planted faults do not match the quality rules: {wrong[:5]}")
    return rows


# --------------------------------------------------------------------------------------------
# Writers
# --------------------------------------------------------------------------------------------


def _integer_or_none(value: Any) -> int | None:
    return None if value is None or pd.isna(value) else int(value)


def _segment_value(segment: Segment, code: str, wave: str, blank: bool) -> Any:
    if blank:
        return None
    values = segment.csv_values if wave == "baseline" else segment.xlsx_values
    return values[segment.codes.index(code)]


def raw_records(rows: pd.DataFrame, wave: str, rng: np.random.Generator) -> list[list[Any]]:
    """Rows as the raw export has them: header first, raw column names, raw value labels."""
    header = [
        COLUMNS["respondent"],
        COLUMNS["agency"],
        COLUMNS["date"],
        COLUMNS["duration_s"],
        *(s.column for s in SEGMENTS),
        *(item.column for item in ITEMS),
        RECOMMEND_COLUMN,
        COLUMNS["comment"],
    ]
    blanks = {s.key: rng.random(len(rows)) < s.blank for s in SEGMENTS}
    records: list[list[Any]] = [header]
    for position, row in enumerate(rows.itertuples(index=False)):
        record = dict(row._asdict())
        day = record["date"]
        records.append(
            [
                record["respondent"],
                record["agency_id"],
                day.strftime(CSV_DATE_FORMAT) if wave == "baseline" else day,
                _integer_or_none(record["duration_s"]),
                *(
                    _segment_value(s, record[s.key], wave, bool(blanks[s.key][position]))
                    for s in SEGMENTS
                ),
                *(_integer_or_none(record[code]) for code in ITEM_CODES),
                _integer_or_none(record["recommend"]),
                record["comment"] or None,
            ]
        )
    return records


def _write_csv(path: Path, records: Sequence[Sequence[Any]], delimiter: str = ",") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n", delimiter=delimiter)
        for record in records:
            writer.writerow(["" if v is None else v for v in record])


def _write_xlsx(path: Path, records: Sequence[Sequence[Any]], sheet: str) -> None:
    """Write an XLSX whose bytes depend only on ``records`` (no clock, fixed zip metadata)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell

    workbook = Workbook(write_only=True)
    workbook.properties.creator = "analysis.simulate"
    workbook.properties.created = FIXED_TIMESTAMP
    sheet_ = workbook.create_sheet(sheet)
    for record in records:
        cells = []
        for value in record:
            if isinstance(value, date):
                cell = WriteOnlyCell(sheet_, value=value)
                timed = isinstance(value, datetime)
                cell.number_format = "yyyy-mm-dd hh:mm:ss" if timed else "yyyy-mm-dd"
                cells.append(cell)
            else:
                cells.append(value)
        sheet_.append(cells)
    buffer = io.BytesIO()
    workbook.save(buffer)
    # openpyxl stamps the save time into docProps/core.xml and the zip entries: pin both.
    stamp = FIXED_TIMESTAMP.strftime("%Y-%m-%dT%H:%M:%SZ")
    source = zipfile.ZipFile(io.BytesIO(buffer.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in sorted(source.namelist()):
            data = source.read(name)
            if name == "docProps/core.xml":
                text = re.sub(
                    r"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                    rf"\g<1>{stamp}\g<2>",
                    data.decode("utf-8"),
                )
                data = text.encode("utf-8")
            info = zipfile.ZipInfo(name, date_time=ZIP_DATE_TIME)
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3
            info.external_attr = 0o644 << 16
            target.writestr(info, data, compresslevel=6)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(out.getvalue())


def study_yaml(plans: Sequence[AgencyPlan], export: PlatformLayout | None = None) -> str:
    """The study.yml text (DESIGN.md section 3 keys), Arabic kept readable.

    With ``export`` (``simulate --format``), the waves say their format and files, and the
    columns, items and segments are named as that platform's export names them.
    """
    document = {
        "title": {
            "en": "SYNTHETIC demo study: beneficiary satisfaction programme, Eastern Province",
            "ar": "دراسة تجريبية اصطناعية (بيانات افتراضية لأغراض العرض): برنامج رضا المستفيدين، المنطقة الشرقية",
        },
        "languages": ["ar", "en"],
        "scale": {
            "min": SCALE_MIN,
            "max": SCALE_MAX,
            "not_applicable": [NA_CODE],
            "labels": SCALE_LABELS,
        },
        "waves": {
            "baseline": {
                "label": {"en": "Baseline", "ar": "القياس القبلي"},
                "files": [WAVE_FILES["baseline"]],
                "fieldwork": list(FIELDWORK["baseline"]),
            },
            "followup": {
                "label": {"en": "Follow-up", "ar": "القياس البعدي"},
                "files": [WAVE_FILES["followup"]],
                "fieldwork": list(FIELDWORK["followup"]),
            },
        },
        "columns": dict(COLUMNS),
        "items": {
            item.code: {"column": item.column, "text": {"en": item.en, "ar": item.ar}}
            for item in ITEMS
        },
        "dimensions": {
            code: {
                "label": {"en": en, "ar": ar},
                "stage": stage,
                "items": list(DIMENSION_ITEMS[code]),
            }
            for code, (en, ar, stage) in DIMENSIONS.items()
        },
        "outcome": OUTCOME,
        "recommend": {"column": RECOMMEND_COLUMN},
        "segments": {
            s.key: {
                "column": s.column,
                "label": {"en": s.en, "ar": s.ar},
                "values": {
                    code: [csv_value, xlsx_value]
                    for code, csv_value, xlsx_value in zip(
                        s.codes, s.csv_values, s.xlsx_values, strict=True
                    )
                },
            }
            for s in SEGMENTS
        },
        "thresholds": dict(config.DEFAULT_THRESHOLDS),
        # The platform rules (preview ... incomplete) do not apply to a plain file.
        "quality": {
            rule: value
            for rule, value in config.DEFAULT_QUALITY.items()
            if rule not in config.PLATFORM_REASONS
        },
    }
    if export is not None:
        _apply_layout(document, export)
    header = (
        "# SYNTHETIC demo study: generated by `python -m analysis simulate` (analysis.simulate).\n"
        f"# {len(plans)} fictional agencies; no real person or agency data. See README.md.\n"
    )
    body = yaml.safe_dump(
        document, allow_unicode=True, sort_keys=False, default_flow_style=None, width=4096
    )
    return header + body


#: Files of each wave per export format: (baseline, follow-up).
FORMAT_FILES = {
    "qualtrics": ("surveys/baseline_qualtrics.csv", "surveys/followup_qualtrics.xlsx"),
    "surveymonkey": ("surveys/baseline_surveymonkey.csv", "surveys/followup_surveymonkey.xlsx"),
    "kobo": ("surveys/baseline_kobo.csv", "surveys/followup_kobo.xlsx"),
    "google_forms": ("surveys/baseline_google_forms.csv", "surveys/followup_google_forms.csv"),
    "microsoft_forms": (
        "surveys/baseline_microsoft_forms.xlsx",
        "surveys/followup_microsoft_forms.xlsx",
    ),
}


@dataclass
class PlatformLayout:
    """How ``simulate --format`` wrote the waves: format, files and study.yml names."""

    format: str
    files: dict[str, str]
    exported: dict[str, Any]  # wave -> analysis.platform_exports.Exported


def _questions() -> dict[str, Any]:
    """Raw column -> Question (text in Arabic) for every plain column of a wave."""
    from analysis.platform_exports import QUESTION_TEXT, Question

    questions = {
        COLUMNS["respondent"]: Question(
            COLUMNS["respondent"], QUESTION_TEXT["response_id"]["ar"], "id"
        ),
        COLUMNS["agency"]: Question(COLUMNS["agency"], QUESTION_TEXT["agency_id"]["ar"], "agency"),
        COLUMNS["date"]: Question(COLUMNS["date"], "تاريخ المقابلة", "date"),
        COLUMNS["duration_s"]: Question(COLUMNS["duration_s"], "المدة", "duration"),
        RECOMMEND_COLUMN: Question(RECOMMEND_COLUMN, QUESTION_TEXT["nps"]["ar"], "recommend"),
        COLUMNS["comment"]: Question(COLUMNS["comment"], QUESTION_TEXT["ملاحظات"]["ar"], "comment"),
    }
    for segment in SEGMENTS:
        questions[segment.column] = Question(segment.column, segment.ar, "segment", segment.key)
    for item in ITEMS:
        questions[item.column] = Question(item.column, item.ar.rstrip("."), "item", item.code)
    return questions


def platform_layout(
    records: Mapping[str, list[list[Any]]], fmt: str, rng: np.random.Generator
) -> PlatformLayout:
    """Both waves laid out as platform ``fmt`` exports them (see analysis.platform_exports)."""
    from analysis.platform_exports import export_wave

    labels = {**SCALE_LABELS, NA_CODE: {"en": "Not applicable", "ar": "لا ينطبق"}}
    questions = _questions()
    exported = {
        wave: export_wave(fmt, records[wave], questions, labels, rng) for wave in config.WAVES
    }
    files = dict(zip(config.WAVES, FORMAT_FILES[fmt], strict=True))
    return PlatformLayout(fmt, files, exported)


def _apply_layout(document: dict[str, Any], layout: PlatformLayout) -> None:
    """study.yml as a platform export is read: format, files, column names, N/A label."""
    exported = layout.exported["baseline"]
    for wave in config.WAVES:
        document["waves"][wave]["files"] = [layout.files[wave]]
        document["waves"][wave]["format"] = layout.format
    for field_name, raw in exported.columns.items():
        key = {"agency": "agency"}.get(field_name, field_name)
        if raw is None:
            document["columns"].pop(key, None)
        else:
            document["columns"][key] = raw
    for code, raw in exported.items.items():
        document["items"][code]["column"] = raw
    for key, raw in exported.segments.items():
        document["segments"][key]["column"] = raw
    if layout.format in ("surveymonkey", "google_forms", "microsoft_forms"):
        document["recommend"]["column"] = _questions()[RECOMMEND_COLUMN].text
    document["scale"]["labels"] = {
        **document["scale"]["labels"],
        NA_CODE: {"en": "Not applicable", "ar": "لا ينطبق"},
    }
    document["quality"] = dict(config.DEFAULT_QUALITY)


def _readme(plans: Sequence[AgencyPlan], seed: int, sizes: Mapping[str, int]) -> str:
    n_programme = sum(p.group == "programme" for p in plans)
    return f"""# SYNTHETIC demo study (not real data)

Everything in this folder is **synthetic**: generated by `analysis.simulate` with seed
{seed}. The agencies are fictional (modelled on Eastern Province service agencies), the
respondents do not exist, and the phone numbers, ID numbers and e-mail addresses in the
comments are made up, planted to exercise masking and escaping.

- {len(plans)} agencies, {n_programme} programme and {len(plans) - n_programme} comparison (`agencies.csv`)
- baseline survey, {sizes["baseline"]} rows, CSV (`surveys/baseline.csv`)
- follow-up survey, {sizes["followup"]} rows, XLSX (`surveys/followup.xlsx`)
- programme activity log (`interventions.csv`) and the codebook (`study.yml`)
- `truth.json`: the planted effects and data-quality faults; read by the tests only

Regenerate byte for byte with `make data`, or:

    python -m analysis simulate --out data/raw --agencies {len(plans)} --seed {seed}
"""


def _round(value: Any, digits: int = 6) -> Any:
    """Round floats recursively so truth.json is short and stable."""
    if isinstance(value, dict):
        return {k: _round(v, digits) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_round(v, digits) for v in value]
    if isinstance(value, float | np.floating):
        return round(float(value), digits)
    if isinstance(value, np.integer):
        return int(value)
    return value


def _ols(x: Sequence[float], y: Sequence[float]) -> tuple[float | None, float | None]:
    if len(x) < 2:
        return None, None
    slope, intercept = np.polyfit(np.asarray(x, float), np.asarray(y, float), 1)
    return float(slope), float(intercept)


def study_truth(
    plans: Sequence[AgencyPlan], waves: Mapping[str, pd.DataFrame], seed: int
) -> dict[str, Any]:
    """The planted truth: population values per agency and wave, and the study-level effects."""
    agencies: dict[str, Any] = {}
    for plan in plans:
        truth = {wave: population_truth(plan, wave) for wave in config.WAVES}
        base, follow = truth["baseline"], truth["followup"]
        pooled_sd = np.sqrt((base["sd"][OUTCOME] ** 2 + follow["sd"][OUTCOME] ** 2) / 2)
        received = {w: int((waves[w]["agency_id"] == plan.agency_id).sum()) for w in config.WAVES}
        agencies[plan.agency_id] = {
            "group": plan.group,
            "role": plan.role,
            "coverage": plan.coverage,
            "coverage_percent": None if plan.coverage is None else plan.coverage * 100,
            "latent_shift": plan.shifts,
            "n_received": received,
            "n_analysed": {w: plan.n_natural[w] for w in config.WAVES},
            "faults": {w: dict(plan.faults[w]) for w in config.WAVES},
            "mix": {
                w: {
                    s.key: dict(zip(s.codes, plan.mix[w][s.key].tolist(), strict=True))
                    for s in SEGMENTS
                }
                for w in config.WAVES
            },
            "index": {
                w: {
                    "items": truth[w]["items"],
                    "dimensions": truth[w]["dimensions"],
                    "outcome": truth[w]["outcome"],
                }
                for w in config.WAVES
            },
            "top2box": {w: truth[w]["top2box"] for w in config.WAVES},
            "sd": {w: truth[w]["sd"] for w in config.WAVES},
            "nps": {w: truth[w]["nps"] for w in config.WAVES},
            "redrawn_share": {w: truth[w]["redrawn_share"] for w in config.WAVES},
            "profiles": dict(zip(PROFILES, plan.profiles.tolist(), strict=True)),
            "change": {
                "items": {c: follow["items"][c] - base["items"][c] for c in ITEM_CODES},
                "dimensions": {
                    d: follow["dimensions"][d] - base["dimensions"][d] for d in DIMENSIONS
                },
                "outcome": follow["outcome"] - base["outcome"],
            },
            "hedges_g_outcome": (follow["mean"][OUTCOME] - base["mean"][OUTCOME]) / pooled_sd,
        }

    def ids(predicate: Any) -> list[str]:
        return [p.agency_id for p in plans if predicate(p)]

    def role(name: str) -> str | None:
        found = ids(lambda p: p.role == name)
        return found[0] if found else None

    programme = ids(lambda p: p.group == "programme")
    reportable = ids(lambda p: p.group == "programme" and p.role != "tiny_followup")
    comparison = ids(lambda p: p.group == "comparison")

    def mean_of(agency_ids: Sequence[str], key: str) -> float | None:
        values = [
            agencies[a]["hedges_g_outcome"] if key == "g" else agencies[a]["change"]["outcome"]
            for a in agency_ids
        ]
        return float(np.mean(values)) if values else None

    def did(group: Sequence[str]) -> float | None:
        if not group or not comparison:
            return None
        return mean_of(group, "change") - mean_of(comparison, "change")

    slope, intercept = _ols(
        [agencies[a]["coverage_percent"] for a in programme],
        [agencies[a]["change"]["outcome"] for a in programme],
    )
    slope_r, intercept_r = _ols(
        [agencies[a]["coverage_percent"] for a in reportable],
        [agencies[a]["change"]["outcome"] for a in reportable],
    )
    mix_shift = None
    shifted = role("mix_shift")
    if shifted is not None:
        plan = next(p for p in plans if p.agency_id == shifted)
        base = population_truth(plan, "baseline")
        raw = population_truth(plan, "followup")
        adjusted = population_truth(plan, "followup", mix=plan.mix["baseline"])
        mix_shift = {
            "agency_id": shifted,
            "segment": "channel",
            "baseline_mix": dict(
                zip(SEGMENTS[3].codes, MIX_SHIFT_CHANNEL["baseline"], strict=True)
            ),
            "followup_mix": dict(
                zip(SEGMENTS[3].codes, MIX_SHIFT_CHANNEL["followup"], strict=True)
            ),
            "raw_change": {
                "outcome": raw["outcome"] - base["outcome"],
                "dimensions": {d: raw["dimensions"][d] - base["dimensions"][d] for d in DIMENSIONS},
            },
            "adjusted_change": {
                "outcome": adjusted["outcome"] - base["outcome"],
                "dimensions": {
                    d: adjusted["dimensions"][d] - base["dimensions"][d] for d in DIMENSIONS
                },
            },
            "definition": "adjusted = follow-up model with the baseline mix, minus baseline",
        }
    totals = {
        w: {r: sum(p.faults[w][r] for p in plans) for r in config.RESPONDENT_REASONS}
        for w in config.WAVES
    }
    comments = {
        w: {kind: int((waves[w]["comment_kind"] == kind).sum()) for kind in PII_MINIMUM}
        for w in config.WAVES
    }
    document = {
        "synthetic": True,
        "seed": seed,
        "definitions": {
            "index": "population expectation of (x - 1) / 4 * 100 over answered items",
            "dimension": "expected respondent score (mean of answered items, >= half answered)",
            "hedges_g_outcome": "(mean_followup - mean_baseline) / sqrt((sd_b^2 + sd_f^2) / 2), "
            "population values of the outcome item",
            "did_outcome_index": "mean programme change - mean comparison change of the outcome "
            "index (agencies weighted equally)",
            "dose_response": "OLS of true outcome index change on coverage percent, programme "
            "agencies",
            "reportable": "programme agencies without the tiny follow-up one",
        },
        "model": {
            "kind": "ordered probit",
            "thresholds": THRESHOLDS.tolist(),
            "random_intercept_sd": RANDOM_INTERCEPT_SD,
            "profiles": {
                name: {"share": share, "effects": effects}
                for name, (share, effects) in PROFILES.items()
            },
            "segment_effects": {
                s.key: dict(zip(s.codes, s.effects, strict=True)) for s in SEGMENTS
            },
            "latent_dose_slope": DOSE_SLOPE,
            "decline_shift": DECLINE_SHIFT,
        },
        "agencies": agencies,
        "programme_effect": {
            "mean_g": mean_of(programme, "g"),
            "mean_g_reportable": mean_of(reportable, "g"),
            "mean_index_change": mean_of(programme, "change"),
            "agencies": programme,
            "reportable_agencies": reportable,
        },
        "comparison_drift": {
            "mean_g": mean_of(comparison, "g"),
            "mean_index_change": mean_of(comparison, "change"),
            "agencies": comparison,
        },
        "did_outcome_index": {"all": did(programme), "reportable": did(reportable)},
        "dose_response": {
            "x": "coverage_percent",
            "y": "outcome index change",
            "slope": slope,
            "intercept": intercept,
            "slope_reportable": slope_r,
            "intercept_reportable": intercept_r,
        },
        "declining_agency": role("decliner"),
        "tiny_followup_agency": role("tiny_followup"),
        "no_change_agencies": ids(lambda p: p.role == "no_change"),
        "mix_shift": mix_shift,
        "quality_faults_total": totals,
        "comments_with_personal_data": comments,
    }
    return _round(document)


def simulate_study(
    out_dir: Path,
    *,
    agencies: int = 30,
    seed: int = config.DEMO_SEED,
    responses: int | None = None,
    format: str = "plain",
) -> dict[str, Any]:
    """Write a synthetic study folder with planted, recorded effects.

    Parameters
    ----------
    out_dir : Path
        Folder to write into (created; files of the same names are overwritten).
    agencies : int
        Total agencies, about 4 programme : 1 comparison (30 -> 24 + 6).
    seed : int
        Seed of the only random stream (``numpy.random.default_rng``): the same seed gives
        byte-identical files.
    responses : int, optional
        Typical respondents per agency and wave; ``None`` gives a realistic 40-600 spread.
    format : str
        ``plain`` (a CSV baseline and an XLSX follow-up), or a survey platform's export
        (``qualtrics``, ``surveymonkey``, ``kobo``, ``google_forms``, ``microsoft_forms``):
        the same respondents and answers, laid out as that platform downloads them, with
        its metadata; Qualtrics files also hold planted preview, test, spam and unfinished
        responses, counted in ``truth.json`` under ``platform_faults``.

    Returns
    -------
    dict
        ``out_dir``, ``seed``, ``agencies``, ``programme``, ``comparison``, ``rows`` (per wave)
        and ``files`` (relative paths written).
    """
    out_dir = Path(out_dir)
    rng = np.random.default_rng(seed)
    plans, interventions = plan_study(agencies, rng, responses)
    waves = {wave: build_wave(plans, wave, rng) for wave in config.WAVES}
    records = {wave: raw_records(waves[wave], wave, rng) for wave in config.WAVES}
    # The plain study draws from the stream first, so a format changes no answer.
    layout = platform_layout(records, format, rng) if format != "plain" else None

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "study.yml").write_text(study_yaml(plans, layout), encoding="utf-8")
    _write_csv(
        out_dir / "agencies.csv",
        [["agency_id", "name_en", "name_ar", "group", "frontline_staff", "monthly_beneficiaries"]]
        + [
            [p.agency_id, p.name_en, p.name_ar, p.group, p.frontline_staff, p.monthly_beneficiaries]
            for p in plans
        ],
    )
    wave_files = dict(WAVE_FILES) if layout is None else dict(layout.files)
    for wave in config.WAVES:
        rows = records[wave] if layout is None else layout.exported[wave].rows
        path = out_dir / wave_files[wave]
        if path.suffix == ".xlsx":
            _write_xlsx(path, rows, sheet="responses" if layout is None else "Sheet1")
        else:
            _write_csv(path, rows, delimiter=";" if format == "kobo" else ",")
    _write_csv(
        out_dir / "interventions.csv",
        [["agency_id", "date", "activity", "staff_trained", "hours"]]
        + [
            [
                r["agency_id"],
                r["date"].isoformat(),
                r["activity"],
                r["staff_trained"],
                f"{r['hours']:g}",
            ]
            for r in interventions
        ],
    )
    sizes = {wave: len(waves[wave]) for wave in config.WAVES}
    (out_dir / "README.md").write_text(_readme(plans, seed, sizes), encoding="utf-8")
    truth = study_truth(plans, waves, seed)
    if layout is not None:
        truth["format"] = format
        truth["platform_faults"] = {w: layout.exported[w].planted for w in config.WAVES}
    (out_dir / "truth.json").write_text(
        json.dumps(truth, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
    )
    files = [
        "study.yml",
        "agencies.csv",
        wave_files["baseline"],
        wave_files["followup"],
        "interventions.csv",
        "README.md",
        "truth.json",
    ]
    return {
        "out_dir": str(out_dir),
        "seed": seed,
        "agencies": len(plans),
        "programme": sum(p.group == "programme" for p in plans),
        "comparison": sum(p.group == "comparison" for p in plans),
        "rows": sizes,
        "files": files,
    }
