"""Per-layer results tables: the study's headline correlation and the table reader."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from scipy.stats import pearsonr

from repgeom.errors import InvalidInputError, SchemaError
from repgeom.layer_table import COLUMNS, ED_STUDY_COLUMNS, read_table, statistics


@pytest.fixture
def paper_table(reference_dir: Path) -> pd.DataFrame:
    return read_table(reference_dir / "ed_study" / "paper_data.csv")


def test_paper_data_gives_the_studys_headline_r(paper_table):
    stats = statistics(paper_table)
    print(
        f"r = {stats['r']:.4f}, r_log = {stats['r_log']:.4f}, by training = "
        + ", ".join(f"{k}: {v:.4f}" for k, v in stats["r_by_training"].items())
    )
    assert stats["n"] == 552
    assert round(stats["r"], 3) == 0.590
    assert stats["p"] < 1e-40
    assert stats["r_log"] > stats["r"]  # "with log ED the correlation is higher"
    assert set(stats["r_by_training"]) == {"Supervised", "Self-Supervised", "Untrained"}
    assert set(stats["p_by_training"]) == set(stats["r_by_training"])
    # every within-layer group has at least 3 models and its own r
    groups = paper_table.groupby(["architecture", "layer"])["model"].nunique()
    expected = {key for key, n in groups.items() if n >= 3}
    assert set(stats["r_within_layer"]) == expected and expected


def test_paper_table_columns(paper_table):
    assert list(paper_table.columns) == list(ED_STUDY_COLUMNS)
    assert paper_table["ed"].dtype == np.float64
    # a model is architecture, task and source together; untrained models have no task
    assert paper_table["model"].iloc[0] == "ResNet18||PyTorch"
    assert paper_table["model"].nunique() == 45
    assert set(paper_table["training"]) == {"Supervised", "Self-Supervised", "Untrained"}


def test_statistics_known_answers():
    rng = np.random.default_rng(0)
    rows = []
    for m in range(5):
        for layer in ("l1", "l2"):
            rows.append(("net", layer, f"net{m}", "sup" if m < 3 else "ssl"))
    rows.append(("other", "l1", "other0", "sup"))  # a group of one model: no within-layer r
    table = pd.DataFrame(rows, columns=["architecture", "layer", "model", "training"])
    table["ed"] = rng.uniform(1, 50, len(table))
    table["encoding"] = 0.01 * table["ed"] + rng.normal(0, 0.05, len(table))
    stats = statistics(table)
    ed, enc = table["ed"].to_numpy(), table["encoding"].to_numpy()
    assert stats["n"] == 11
    assert stats["r"] == pytest.approx(pearsonr(ed, enc).statistic, abs=1e-15)
    assert stats["p"] == pytest.approx(pearsonr(ed, enc).pvalue, rel=1e-12)
    assert stats["r_log"] == pytest.approx(pearsonr(np.log(ed), enc).statistic, abs=1e-15)
    sup = (table["training"] == "sup").to_numpy()
    assert stats["r_by_training"]["sup"] == pytest.approx(pearsonr(ed[sup], enc[sup])[0])
    assert set(stats["r_within_layer"]) == {("net", "l1"), ("net", "l2")}
    l2 = ((table["architecture"] == "net") & (table["layer"] == "l2")).to_numpy()
    assert stats["r_within_layer"][("net", "l2")] == pytest.approx(pearsonr(ed[l2], enc[l2])[0])


def test_statistics_accepts_a_mapping_of_columns():
    table = {
        "model": ["a", "b", "c"],
        "architecture": ["x", "x", "x"],
        "layer": ["l", "l", "l"],
        "training": ["t", "t", "t"],
        "ed": [1.0, 2.0, 4.0],
        "encoding": [0.1, 0.2, 0.4],
    }
    stats = statistics(table)
    assert stats["r"] == pytest.approx(1.0)
    assert stats["r_within_layer"] == {("x", "l"): pytest.approx(1.0)}


def test_statistics_bad_input():
    base = pd.DataFrame(
        {c: ["a", "b", "c"] for c in COLUMNS if c not in ("ed", "encoding")}
        | {"ed": [1.0, 2.0, 3.0], "encoding": [0.1, 0.3, 0.2]}
    )
    with pytest.raises(SchemaError, match=r"lacks column\(s\) \['training'\]; found"):
        statistics(base.drop(columns="training"))
    with pytest.raises(InvalidInputError, match="NaN"):
        statistics(base.assign(encoding=[0.1, np.nan, 0.2]))
    with pytest.raises(InvalidInputError, match="non-positive"):
        statistics(base.assign(ed=[1.0, 0.0, 2.0]))
    with pytest.raises(InvalidInputError, match="needs 2"):
        statistics(base.iloc[:1])


def test_read_table_with_a_custom_mapping(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame(
        {
            "net": ["A", "A", "B"],
            "weights": ["w1", "w1", None],
            "node": ["c1", "c2", "c1"],
            "regime": ["sup", "sup", "none"],
            "dim": [1.5, 2.5, 3.5],
            "score": [0.1, 0.2, 0.3],
        }
    ).to_csv(path, index=False)
    mapping = {
        "model": ("net", "weights"),
        "architecture": "net",
        "layer": "node",
        "training": "regime",
        "ed": "dim",
        "encoding": "score",
    }
    table = read_table(path, mapping)
    assert list(table.columns) == list(mapping)
    assert table["model"].tolist() == ["A|w1", "A|w1", "B|"]
    np.testing.assert_array_equal(table["ed"], [1.5, 2.5, 3.5])


def test_read_table_names_the_columns_found(tmp_path):
    path = tmp_path / "t.csv"
    pd.DataFrame({"ED": [1.0], "Encoding score": [0.2], "layer": ["x"]}).to_csv(path)
    with pytest.raises(
        SchemaError, match=r"no column\(s\) \[.architecture., .task., .source.\].*found are \[.ED."
    ):
        read_table(path)
    with pytest.raises(SchemaError, match="no entry for"):
        read_table(path, {"ed": "ED", "encoding": "Encoding score"})
    bad = {c: "layer" for c in COLUMNS}
    with pytest.raises(SchemaError, match="not numeric"):
        read_table(path, bad)
