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
    """

    name: str
    drawn: Callable[[Config], bool]
    inputs: Callable[[Config], list[str]]
    render: Callable[[Sequence[str | os.PathLike[str]], str | os.PathLike[str]], list[Path]]
    caption: str | os.PathLike[str] | None = None

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
