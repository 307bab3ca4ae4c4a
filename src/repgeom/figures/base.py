"""The declaration of a figure: one value that the planner, the CLI and the rules read."""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from repgeom import paths

Config = Mapping[str, Any]
#: Captions of the built-in figures: ``workflow/report/{name}.rst``.
REPORT_DIR = Path(__file__).resolve().parents[3] / "workflow" / "report"


@dataclass(frozen=True)
class Figure:
    """One figure, declared once (in its module, as ``FIGURE``).

    Parameters
    ----------
    name : str
        The figure's name: ``figures/{name}.png`` / ``.pdf`` and ``repgeom figure NAME``.
    drawn : callable ``(config) -> bool``
        Whether a validated config produces the figure.
    inputs : callable ``(config) -> list[str]``
        The result stores it reads, in the order ``render`` takes them.
    render : callable ``(inputs, out_stem) -> list[Path]``
        Reads the stores and draws; writes ``{out_stem}.png`` and ``{out_stem}.pdf``.
    caption : str or Path, optional
        The report caption (reStructuredText); default ``workflow/report/{name}.rst``.
    spec : callable ``(config) -> dict``, optional
        The part of the config the drawing depends on (e.g. which stimulus set's ED to plot).
        The rule passes it as ``--spec JSON`` and ``render`` then takes it as ``spec=``; a
        figure without one is drawn from its stores alone.
    table : callable ``(table, out_stem, source) -> list[Path]``, optional
        Draws the figure from a per-layer table (:mod:`repgeom.layer_table`) instead of the
        stores: ``repgeom figure NAME --table results.csv``. ``source`` is the table's path.
    """

    name: str
    drawn: Callable[[Config], bool]
    inputs: Callable[[Config], list[str]]
    render: Callable[..., list[Path]]
    caption: str | os.PathLike[str] | None = None
    spec: Callable[[Config], dict[str, Any]] | None = None
    table: Callable[..., list[Path]] | None = None

    def spec_for(self, config: Config) -> dict[str, Any] | None:
        """The figure's spec for a validated config (None: it has none)."""
        return None if self.spec is None else self.spec(config)

    def draw(
        self,
        inputs: Sequence[str | os.PathLike[str]],
        out_stem: str | os.PathLike[str],
        spec: Mapping[str, Any] | None = None,
    ) -> list[Path]:
        """Render from stores, passing ``spec`` to a figure that declares one."""
        if self.spec is None:
            return self.render(inputs, out_stem)
        return self.render(inputs, out_stem, spec=dict(spec or {}))

    @property
    def caption_file(self) -> Path:
        """The caption's path (absolute)."""
        if self.caption is None:
            return REPORT_DIR / f"{self.name}.rst"
        return Path(self.caption).resolve()

    @property
    def stem(self) -> str:
        """The output path without its suffix."""
        return paths.FIGURE_STEM.format(figure=self.name)

    @property
    def files(self) -> list[str]:
        """The output files (PNG first)."""
        return paths.figure_files(self.name)
