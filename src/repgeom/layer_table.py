"""Per-layer results tables (effective dimensionality against encoding performance).

A layer table has one row per (model, layer) and at least the columns :data:`COLUMNS`:
``model`` (a model's identity: architecture, task and weights source together),
``architecture``, ``layer``, ``training`` (the training paradigm), ``ed`` (effective
dimensionality) and ``encoding`` (encoding performance). :func:`statistics` gives the
encoder-dimensionality study's correlations; :func:`read_table` reads such a table from a CSV,
e.g. the study's own ``figures/manuscript/data/data.csv`` with :data:`ED_STUDY_COLUMNS`.
"""

from __future__ import annotations

import os
import warnings
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd
from scipy.stats import pearsonr

from repgeom.errors import InvalidInputError, SchemaError

__all__ = [
    "COLUMNS",
    "ED_STUDY_COLUMNS",
    "MODEL_SEPARATOR",
    "parse_columns",
    "read_table",
    "statistics",
]

#: Columns every layer table has.
COLUMNS = ("model", "architecture", "layer", "training", "ed", "encoding")

#: Mapping of layer-table columns to the columns of the study's per-layer CSV
#: (``figures/manuscript/data/data.csv`` of EricElmoznino/encoder_dimensionality): a string names
#: one CSV column, a tuple names columns joined with :data:`MODEL_SEPARATOR` (missing parts as
#: empty strings). ``mrr`` and ``snr`` ride along for the few-shot panels.
ED_STUDY_COLUMNS: Mapping[str, str | tuple[str, ...]] = {
    "model": ("architecture", "task", "source"),
    "architecture": "architecture",
    "layer": "layer",
    "training": "kind",
    "ed": "ED",
    "encoding": "Encoding score",
    "mrr": "MRR",
    "snr": "SNR",
}

#: Joins the parts of a composite column such as ``model``.
MODEL_SEPARATOR = "|"

#: The fewest models a (architecture, layer) group needs for a within-layer correlation.
MIN_WITHIN_LAYER = 3


def read_table(
    path: str | os.PathLike[str],
    columns: Mapping[str, str | Sequence[str]] | None = None,
) -> pd.DataFrame:
    """Read a per-layer CSV into a layer table.

    Parameters
    ----------
    path : path-like
        A CSV file with a header row. An unnamed first column (a saved pandas index) is ignored.
    columns : mapping of str to str or sequence of str, optional
        Layer-table column → CSV column, or → several CSV columns joined with
        :data:`MODEL_SEPARATOR` (missing values as empty strings). Defaults to
        :data:`ED_STUDY_COLUMNS`. Must cover :data:`COLUMNS`; extra keys are kept.

    Returns
    -------
    pandas.DataFrame of shape (n_layers, len(columns))
        ``ed`` and ``encoding`` (and any other all-numeric column) as float64, the rest as
        strings.

    Raises
    ------
    SchemaError
        The mapping misses a required column, or the CSV lacks a column the mapping names (the
        message lists the columns found).
    """
    mapping = dict(ED_STUDY_COLUMNS if columns is None else columns)
    missing_keys = [c for c in COLUMNS if c not in mapping]
    if missing_keys:
        raise SchemaError(
            f"the column mapping has no entry for {missing_keys}; a layer table needs "
            f"{list(COLUMNS)}"
        )
    raw = pd.read_csv(path)
    unnamed = [c for c in raw.columns if str(c).startswith("Unnamed:")]
    raw = raw.drop(columns=unnamed)
    found = [str(c) for c in raw.columns]
    out: dict[str, Any] = {}
    for key, source in mapping.items():
        parts = [source] if isinstance(source, str) else list(source)
        absent = [p for p in parts if p not in raw.columns]
        if absent:
            raise SchemaError(
                f"{os.fspath(path)!s} has no column(s) {absent} (needed for {key!r}); the columns "
                f"found are {found}; pass columns= mapping {list(COLUMNS)} to them"
            )
        if isinstance(source, str):
            out[key] = raw[source]
        else:
            text = [raw[p].astype("string").fillna("") for p in parts]
            joined = text[0]
            for t in text[1:]:
                joined = joined + MODEL_SEPARATOR + t
            out[key] = joined.astype(str)
    table = pd.DataFrame(out)
    for key in ("ed", "encoding"):
        try:
            table[key] = pd.to_numeric(table[key]).astype(np.float64)
        except (TypeError, ValueError) as exc:
            raise SchemaError(
                f"column {key!r} (from {mapping[key]!r}) is not numeric: {exc}"
            ) from exc
    for key in ("model", "architecture", "layer", "training"):
        table[key] = table[key].astype(str)
    return table


def parse_columns(
    text: str | None, path: str | os.PathLike[str] | None = None
) -> dict[str, str | tuple[str, ...]]:
    """A column mapping for :func:`read_table` from its command-line form.

    Parameters
    ----------
    text : str or None
        ``"key=CSV column,key=col1+col2,..."``: ``+`` joins several CSV columns (as
        :data:`ED_STUDY_COLUMNS` does for ``model``); a required key (:data:`COLUMNS`) left out
        maps to the CSV column of the same name. None: the CSV's own names when its header has
        every required column, else :data:`ED_STUDY_COLUMNS` (the study's ``data.csv``).
    path : path-like, optional
        The CSV (its header is read when ``text`` is None).

    Raises
    ------
    SchemaError
        An entry without ``=``, or an unknown-looking empty name.
    """
    if text is None:
        if path is not None:
            header = [str(c) for c in pd.read_csv(path, nrows=0).columns]
            if all(c in header for c in COLUMNS):
                return {c: c for c in COLUMNS}
        return dict(ED_STUDY_COLUMNS)
    mapping: dict[str, str | tuple[str, ...]] = {}
    for entry in filter(None, (e.strip() for e in text.split(","))):
        key, sep, source = entry.partition("=")
        key, source = key.strip(), source.strip()
        if not sep or not key or not source:
            raise SchemaError(
                f"column mapping entry {entry!r}; write key=CSV column (e.g. ed=ED), "
                "comma-separated, with + joining several CSV columns"
            )
        parts = tuple(p.strip() for p in source.split("+"))
        mapping[key] = parts[0] if len(parts) == 1 else parts
    for key in COLUMNS:
        mapping.setdefault(key, key)
    return mapping


def _pearson(x: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Pearson r and its two-sided p; NaN (no warning) for fewer than 2 rows or constant data."""
    if x.size < 2:
        return float("nan"), float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        res = pearsonr(x, y)
    return float(res.statistic), float(res.pvalue)


def statistics(table: pd.DataFrame | Mapping[str, Sequence[Any]]) -> dict[str, Any]:
    """The study's ED-versus-encoding correlations over a layer table.

    Parameters
    ----------
    table : pandas.DataFrame or mapping of str to sequence
        Columns :data:`COLUMNS` (one row per model layer).

    Returns
    -------
    dict
        - ``r``, ``p``: ``scipy.stats.pearsonr(ed, encoding)`` over all rows
        - ``n``: number of rows
        - ``r_log``, ``p_log``: the same with ``ln(ed)``
        - ``r_by_training``, ``p_by_training``: dicts training paradigm → r, p within it
        - ``r_within_layer``: dict ``(architecture, layer)`` → r over the models of that group,
          for groups of at least 3 models (the study's within-layer panel)

    Raises
    ------
    SchemaError
        A required column is missing.
    InvalidInputError
        NaN/inf or non-positive ED, NaN/inf encoding, or fewer than 2 rows.
    """
    df = pd.DataFrame(table) if not isinstance(table, pd.DataFrame) else table
    absent = [c for c in COLUMNS if c not in df.columns]
    if absent:
        raise SchemaError(
            f"the layer table lacks column(s) {absent}; found {[str(c) for c in df.columns]}, "
            f"need {list(COLUMNS)} (see read_table's columns= mapping)"
        )
    ed = df["ed"].to_numpy(dtype=np.float64)
    enc = df["encoding"].to_numpy(dtype=np.float64)
    if len(df) < 2:
        raise InvalidInputError(f"the layer table has {len(df)} row(s); a correlation needs 2")
    for name, v in (("ed", ed), ("encoding", enc)):
        if not np.isfinite(v).all():
            raise InvalidInputError(
                f"column {name!r} holds {int((~np.isfinite(v)).sum())} NaN/inf value(s); "
                "drop those rows first"
            )
    if (ed <= 0).any():
        raise InvalidInputError(
            f"column 'ed' holds {int((ed <= 0).sum())} non-positive value(s); effective "
            "dimensionality is >= 1 and its log must exist"
        )
    r, p = _pearson(ed, enc)
    r_log, p_log = _pearson(np.log(ed), enc)
    r_by, p_by = {}, {}
    training = df["training"].to_numpy()
    for kind in pd.unique(training):
        mask = training == kind
        r_by[kind], p_by[kind] = _pearson(ed[mask], enc[mask])
    within = {}
    keys = list(zip(df["architecture"].to_numpy(), df["layer"].to_numpy(), strict=True))
    groups: dict[tuple[Any, Any], list[int]] = {}
    for i, key in enumerate(keys):
        groups.setdefault(key, []).append(i)
    models = df["model"].to_numpy()
    for key, rows in groups.items():
        if len(set(models[rows])) >= MIN_WITHIN_LAYER:
            within[key] = _pearson(ed[rows], enc[rows])[0]
    return {
        "r": r,
        "p": p,
        "n": len(df),
        "r_log": r_log,
        "p_log": p_log,
        "r_by_training": r_by,
        "p_by_training": p_by,
        "r_within_layer": within,
    }
