"""results.csv: the ``p_adj_method`` column of the contract (DESIGN.md section 5)."""

from __future__ import annotations

from analysis.measures import RESULT_COLUMNS
from analysis.results import read_results, to_csv_text, write_results


def test_when_results_are_written_then_p_adj_method_is_the_last_column(tmp_path):
    assert RESULT_COLUMNS[-2:] == ("p_adj", "p_adj_method")
    rows = read_results(tmp_path / "missing.csv")
    assert list(rows.columns) == list(RESULT_COLUMNS)
    header = to_csv_text(rows).lstrip("\ufeff").splitlines()[0]
    assert header.endswith(",p_value,p_adj,p_adj_method")


def test_when_an_older_results_csv_lacks_p_adj_method_then_it_reads_empty_and_merges(tmp_path):
    path = tmp_path / "results.csv"
    path.write_text(
        "\ufeffagency_id,phase,wave,scope,code,metric,estimate,ci_low,ci_high,n,p_value,p_adj\n"
        "AG01,impact,,outcome,SAT,index_diff,5,1,9,200,0.01,0.03\n",
        encoding="utf-8",
    )
    old = read_results(path)
    assert old["p_adj_method"].tolist() == [""]
    write_results(tmp_path, {"regional": old.assign(phase="regional", p_adj_method="")})
    merged = read_results(path)
    assert sorted(merged["phase"]) == ["impact", "regional"]
    assert path.read_text(encoding="utf-8-sig").splitlines()[0].endswith(",p_adj,p_adj_method")
