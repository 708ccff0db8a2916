"""Survey-platform exports read as downloaded (issue 17): every preset on a realistic export.

Each format is written by the simulator from the same seed as a plain study
(``simulate --format``): the same respondents and answers, laid out with the platform's
header rows, metadata, personal columns, timestamps and value style (codes or Arabic /
English choice text), Qualtrics with planted preview, test, spam and unfinished responses.
Prepared, every format must analyse exactly the answers of the plain study, account for
every row (received = analysed + excluded, the platform's reasons counted as planted), and
never copy a personal column into the processed tables.
"""

from __future__ import annotations

import csv
import io
import json
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from analysis import config
from analysis.prepare import prepare_study, write_prepared
from analysis.simulate import simulate_study
from analysis.validate import load_study, run_validate

FORMATS = ["qualtrics", "surveymonkey", "kobo", "google_forms", "microsoft_forms"]
SEED, AGENCIES, RESPONSES = 7, 4, 40


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    root = tmp_path_factory.mktemp("plain") / "raw"
    simulate_study(root, agencies=AGENCIES, seed=SEED, responses=RESPONSES)
    return root


def _export(tmp_path_factory, fmt: str) -> Path:
    root = tmp_path_factory.mktemp(fmt) / "raw"
    simulate_study(root, agencies=AGENCIES, seed=SEED, responses=RESPONSES, format=fmt)
    return root


@pytest.fixture(scope="module", params=FORMATS)
def exported(request, tmp_path_factory):
    return request.param, _export(tmp_path_factory, request.param)


def _answers(frame: pd.DataFrame, items: list[str]) -> pd.DataFrame:
    columns = ["agency_id", "wave", "respondent", *items, "recommend", "comment"]
    out = frame[columns].astype({"comment": "string"}).sort_values(["wave", "respondent"])
    return out.reset_index(drop=True)


def _without_speeder_rule(study_dir: Path) -> None:
    text = (study_dir / "study.yml").read_text(encoding="utf-8")
    (study_dir / "study.yml").write_text(text.replace("speeders: 0.33", "speeders: false"))


def test_when_a_platform_export_is_prepared_then_it_analyses_the_plain_studys_answers(
    exported, plain, tmp_path
):
    fmt, study_dir = exported
    reference = plain
    if fmt == "google_forms":
        # Google Forms records no duration, so no one can be a speeder there: compare with
        # the plain study read without the speeder rule.
        reference = tmp_path / "plain" / "raw"
        reference.parent.mkdir()
        import shutil

        shutil.copytree(plain, reference)
        _without_speeder_rule(reference)
    ours, theirs = prepare_study(study_dir), prepare_study(reference)
    items = list(ours.study.items)
    pd.testing.assert_frame_equal(
        _answers(ours.analysed, items), _answers(theirs.analysed, items), check_dtype=False
    )


def test_when_a_platform_export_is_prepared_then_every_row_is_accounted_for(exported):
    fmt, study_dir = exported
    prepared = prepare_study(study_dir)
    ledger = prepared.ledger
    reasons = list(config.EXCLUSION_REASONS)
    assert (ledger["received"] == ledger["analysed"] + ledger[reasons].sum(axis=1)).all()
    truth = json.loads((study_dir / "truth.json").read_text(encoding="utf-8"))
    planted = truth.get("platform_faults", {})
    for wave in config.WAVES:
        rows = ledger[ledger["wave"] == wave]
        for reason in config.PLATFORM_REASONS:
            assert int(rows[reason].sum()) == planted.get(wave, {}).get(reason, 0), (wave, reason)
    if fmt == "qualtrics":
        assert int(ledger[list(config.PLATFORM_REASONS)].to_numpy().sum()) > 0


def test_when_a_platform_export_is_prepared_then_no_personal_column_reaches_processed(
    exported, tmp_path
):
    fmt, study_dir = exported
    prepared = prepare_study(study_dir)
    paths = write_prepared(prepared, tmp_path / "processed")
    excluded = paths["excluded"].read_text(encoding="utf-8-sig")
    responses = pd.read_parquet(paths["responses"])
    personal = {
        "qualtrics": ["IPAddress", "RecipientEmail", "LocationLatitude"],
        "surveymonkey": ["IP Address", "Email Address", "First Name"],
        "kobo": ["deviceid"],
        "google_forms": ["Email Address"],
        "microsoft_forms": ["Email", "Name"],
    }[fmt]
    for column in personal:
        assert column not in responses.columns
        assert column not in excluded.splitlines()[0]
    # The fictitious addresses the exports carry (10.x.y.z, ee.kobotoolbox.org:...) are gone.
    assert "10.1." not in excluded and "kobotoolbox.org" not in excluded


def test_when_validate_reads_a_platform_export_then_it_names_the_personal_columns_left_out(
    exported, capsys
):
    fmt, study_dir = exported
    assert run_validate(study_dir) == 0
    out = capsys.readouterr().out
    assert out.startswith("ok: ")
    assert "personal data not read: surveys/" in out


def test_when_simulate_is_asked_for_a_format_then_the_cli_writes_it(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "analysis", "simulate", "--out", str(tmp_path / "q")]
        + ["--agencies", "3", "--responses", "20", "--format", "qualtrics"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    head = (tmp_path / "q" / "surveys" / "baseline_qualtrics.csv").read_text(encoding="utf-8")
    rows = list(csv.reader(io.StringIO(head)))[:3]
    assert rows[0][:3] == ["StartDate", "EndDate", "Status"]
    assert rows[2][0].startswith('{"ImportId"')


# --- columns named by question text, and bad exports ----------------------------------------


@pytest.fixture(scope="module")
def qualtrics(tmp_path_factory):
    return _export(tmp_path_factory, "qualtrics")


def _copy_with(study_dir: Path, tmp_path: Path, edit) -> Path:
    import shutil

    target = tmp_path / "study" / "raw"
    shutil.copytree(study_dir, target)
    edit(target)
    return target


def _rewrite_csv(path: Path, change) -> None:
    rows = list(csv.reader(io.StringIO(path.read_text(encoding="utf-8"))))
    rows = change(rows)
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(rows)
    path.write_text(buffer.getvalue(), encoding="utf-8")


def test_when_study_yml_names_an_item_by_its_question_text_then_it_is_found(qualtrics, tmp_path):
    def edit(root: Path) -> None:
        text = (root / "study.yml").read_text(encoding="utf-8")
        # q06 is "Staff treated me with courtesy and respect": name it by its Arabic text.
        text = text.replace("column: q06", "column: عاملني الموظفون بلباقة واحترام", 1)
        (root / "study.yml").write_text(text, encoding="utf-8")

    study_dir = _copy_with(qualtrics, tmp_path, edit)
    ingested = load_study(study_dir)
    assert not ingested.problems, ingested.problems[:3]
    reference = load_study(qualtrics)
    assert ingested.responses["COURT"].equals(reference.responses["COURT"])


def _problem_lines(study_dir: Path, capsys) -> list[str]:
    assert run_validate(study_dir) == 2
    err = capsys.readouterr().err.splitlines()
    assert "Traceback" not in "\n".join(err)
    return err


def test_when_a_qualtrics_export_misses_its_finished_column_then_one_line_names_it(
    qualtrics, tmp_path, capsys
):
    def edit(root: Path) -> None:
        def drop_finished(rows):
            at = rows[0].index("Finished")
            return [r[:at] + r[at + 1 :] for r in rows]

        _rewrite_csv(root / "surveys" / "baseline_qualtrics.csv", drop_finished)

    err = _problem_lines(_copy_with(qualtrics, tmp_path, edit), capsys)
    assert any(
        line.startswith("surveys/baseline_qualtrics.csv:1:Finished: expected a column 'Finished'")
        for line in err
    ), err


def test_when_the_third_qualtrics_header_row_does_not_match_then_one_line_names_it(
    qualtrics, tmp_path, capsys
):
    def edit(root: Path) -> None:
        def break_row_3(rows):
            rows[2][-1] = "4"  # an answer where the ImportId of the last column should be
            return rows

        _rewrite_csv(root / "surveys" / "baseline_qualtrics.csv", break_row_3)

    err = _problem_lines(_copy_with(qualtrics, tmp_path, edit), capsys)
    assert any(
        line.startswith(
            'surveys/baseline_qualtrics.csv:3:ملاحظات: "4": expected a Qualtrics ImportId'
        )
        for line in err
    ), err


def test_when_a_surveymonkey_export_lost_its_second_header_row_then_one_line_says_so(
    tmp_path_factory, tmp_path, capsys
):
    source = _export(tmp_path_factory, "surveymonkey")

    def edit(root: Path) -> None:
        _rewrite_csv(root / "surveys" / "baseline_surveymonkey.csv", lambda r: [r[0], *r[2:]])

    err = _problem_lines(_copy_with(source, tmp_path, edit), capsys)
    assert any(
        "surveys/baseline_surveymonkey.csv:2:Respondent ID:" in line
        and "second header row is missing" in line
        for line in err
    ), err


def test_when_a_kobo_export_is_read_with_the_wrong_separator_then_one_line_says_so(
    tmp_path_factory, tmp_path, capsys
):
    source = _export(tmp_path_factory, "kobo")

    def edit(root: Path) -> None:
        path = root / "surveys" / "baseline_kobo.csv"
        # What a spreadsheet makes of it when ';' is not its separator: the header's last
        # names glued into one column by a comma-separated save.
        lines = path.read_text(encoding="utf-8").splitlines()
        lines = [line.replace(";_uuid;", ";_uuid|").replace(";", ",", 3) for line in lines]
        path.write_text("\n".join(lines) + "\n", encoding="utf-8")

    err = _problem_lines(_copy_with(source, tmp_path, edit), capsys)
    assert any("read with the wrong separator" in line for line in err), err


def test_when_a_qualtrics_export_is_in_the_legacy_layout_then_it_reads_the_same(
    qualtrics, tmp_path
):
    """Legacy exporter: V1, V2... on row 1 for the metadata, their names on row 2."""

    def edit(root: Path) -> None:
        def legacy(rows):
            names, texts = rows[0], rows[1]
            meta = names.index("agency_id")  # the metadata columns come first
            row1 = [f"V{i + 1}" for i in range(meta)] + names[meta:]
            row2 = names[:meta] + texts[meta:]
            row2[names.index("ResponseId")] = "ResponseID"
            return [row1, row2, *rows[3:]]

        _rewrite_csv(root / "surveys" / "baseline_qualtrics.csv", legacy)

    study_dir = _copy_with(qualtrics, tmp_path, edit)
    ours, theirs = prepare_study(study_dir), prepare_study(qualtrics)
    items = list(ours.study.items)
    pd.testing.assert_frame_equal(
        _answers(ours.analysed, items), _answers(theirs.analysed, items), check_dtype=False
    )
    assert ours.ledger.equals(theirs.ledger)
