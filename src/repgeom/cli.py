"""``repgeom``: inspect stores, list models and layers, and run workflow stages.

Examples
--------
::

    repgeom layers resnet18           # aliases, modules and graph nodes you can extract
    repgeom models                    # torchvision architectures repgeom can build
    repgeom inspect results/dimensionality.nc
    repgeom check-config config.yaml  # validate a config without running anything
    repgeom neural check rec.nc --stimset photos   # validate your recordings before a run

The stage commands (one per declaration in :data:`repgeom.stages.STAGES`: ``stimuli``,
``neural``, ``train``, ``extract``, ``dimensionality``, ``encoding``, ``classification``,
``manifolds``, ``distances-block``, ``distances-combine``, ``rdms``, ``dsa``, ``dsa-tutorial``;
and ``figure``) are what the Snakemake rules call; each takes its part of the config as a JSON
``--spec``. A stage command may offer other actions, which are not workflow steps
(:class:`repgeom.stages.base.StageAction`): ``repgeom neural check FILE --stimset NAME`` checks a
recordings file against a stimulus set of a config (``repgeom neural --help`` describes the
format). ``repgeom figure ed_encoding --table data.csv`` draws the study's figure from a
published per-layer table instead of result stores.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Iterator, Sequence

from repgeom import __version__
from repgeom.errors import RepgeomError
from repgeom.stages import STAGES
from repgeom.stages.base import ACTION_DEST

log = logging.getLogger("repgeom")


def _cmd_layers(args: argparse.Namespace) -> None:
    from repgeom.models import layer_table

    table = layer_table(args.architecture)
    sections = ("aliases", "modules", "nodes") if args.all else ("aliases", "modules")
    for section in sections:
        print(f"# {section}")
        for name in table[section]:
            print(f"  {name}")
    if not args.all:
        print(f"# nodes: {len(table['nodes'])} graph nodes; show them with --all")


def _cmd_models(args: argparse.Namespace) -> None:
    from repgeom.models import architectures

    print("\n".join(architectures()))


def _cmd_inspect(args: argparse.Namespace) -> None:
    from repgeom import store

    if str(args.path).endswith(".png"):
        _inspect_figure(args.path)
        return
    ds = store.read(args.path)
    print(f"{args.path}  (schema: {ds.attrs.get('schema')})")
    print("dims:   " + ", ".join(f"{d}={n}" for d, n in ds.sizes.items()))
    print("data:")
    for name, var in ds.data_vars.items():
        print(f"  {name} {tuple(map(str, var.dims))} {var.dtype}")
    print("coords:")
    for name, coord in ds.coords.items():
        preview = ", ".join(map(str, coord.values.ravel()[:4]))
        print(
            f"  {name} {tuple(map(str, coord.dims))}: {preview}{' ...' if coord.size > 4 else ''}"
        )
    print("provenance:")
    for key, value in ds.attrs.items():
        print(f"  {key}: {value}")


def _inspect_figure(path: str) -> None:
    """Print the stores a figure was made from and how each was made."""
    from PIL import Image

    from repgeom.errors import SchemaError
    from repgeom.figures.style import PROVENANCE_KEY

    try:
        with Image.open(path) as image:
            text = image.text.get(PROVENANCE_KEY)
    except OSError as exc:  # missing, unreadable or not an image
        raise SchemaError(f"{path}: not a readable PNG figure ({exc})") from exc
    if text is None:
        raise SchemaError(f"{path}: no repgeom provenance; was it rendered by `repgeom figure`?")
    print(f"{path}  (figure) made from:")
    for record in json.loads(text):
        print(f"  {record.pop('store')}")
        for key, value in record.items():
            print(f"    {key}: {value}")


def _cmd_check_config(args: argparse.Namespace) -> None:
    from repgeom.config import load

    config = load(args.path)
    print(
        f"{args.path}: valid ({len(config['stimsets'])} stimulus sets, "
        f"{len(config['models'])} models, {len(config['neural'])} neural datasets)"
    )


def _cmd_figure(args: argparse.Namespace) -> None:
    """Draw a figure from result stores, or (``--table``) from a per-layer CSV table."""
    from repgeom import paths
    from repgeom.errors import InvalidInputError
    from repgeom.figures import FIGURES

    figure = FIGURES[args.name]
    out = args.out or paths.FIGURE_STEM.format(figure=args.name)
    if args.table is None:
        if not args.inputs:
            raise InvalidInputError(
                f"figure {args.name}: name its result stores, or draw it from a table with "
                "--table results.csv"
            )
        figure.draw(args.inputs, out, spec=json.loads(args.spec) if args.spec else None)
        return
    if args.inputs:
        raise InvalidInputError(
            f"figure {args.name}: give either result stores or --table, not both"
        )
    if figure.table is None:
        drawable = sorted(name for name, f in FIGURES.items() if f.table is not None)
        raise InvalidInputError(
            f"figure {args.name} is drawn from result stores only; --table works for {drawable}"
        )
    from repgeom.layer_table import parse_columns, read_table

    table = read_table(args.table, parse_columns(args.columns, args.table))
    for path in figure.table(table, out, source=args.table):
        print(path)


class _FigureNames:
    """The registered figure names, looked up when the ``figure`` command parses (so that
    other commands never import matplotlib)."""

    def _names(self) -> list[str]:
        from repgeom.figures import FIGURES

        return list(FIGURES)

    def __contains__(self, name: object) -> bool:
        return name in self._names()

    def __iter__(self) -> Iterator[str]:
        return iter(self._names())


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="repgeom",
        description="Compare neural representations: inspect result stores, list model layers, "
        "and run the stages of the Snakemake workflow (run the whole workflow with `make run`).",
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--version", action="version", version=f"repgeom {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("layers", help="list the layers of an architecture you can extract")
    p.add_argument("architecture", help="torchvision name, e.g. resnet18")
    p.add_argument("--all", action="store_true", help="also list every graph node")
    p.set_defaults(func=_cmd_layers)

    p = sub.add_parser("models", help="list the torchvision architectures repgeom can build")
    p.set_defaults(func=_cmd_models)

    p = sub.add_parser(
        "inspect", help="show a store's dims, coords and provenance, or what a figure was made of"
    )
    p.add_argument("path", help="a .nc store or a .png figure written by repgeom")
    p.set_defaults(func=_cmd_inspect)

    p = sub.add_parser("check-config", help="validate a workflow config file")
    p.add_argument("path", help="e.g. config.yaml")
    p.set_defaults(func=_cmd_check_config)

    for stage in STAGES.values():  # one subcommand per declared stage
        stage.add_parser(sub)

    p = sub.add_parser(
        "figure",
        help="render a figure from result stores (the workflow's stage), or from a per-layer "
        "table with --table",
    )
    p.add_argument("name", choices=_FigureNames(), metavar="NAME", help="a registered figure")
    p.add_argument(
        "--out", default=None, help="output path without suffix (PNG and PDF; default figures/NAME)"
    )
    p.add_argument("--spec", default=None, help="the figure's part of the config, as JSON")
    p.add_argument(
        "--table",
        default=None,
        help="a per-layer CSV (one row per model layer, e.g. a paper's data.csv) to draw from "
        "instead of result stores (ed_encoding)",
    )
    p.add_argument(
        "--columns",
        default=None,
        help="layer-table column = CSV column, comma-separated, e.g. "
        "'model=architecture+task+source,ed=ED,encoding=Encoding score,training=kind' "
        "(+ joins columns; unnamed columns default to the same name; without it the study's "
        "data.csv names)",
    )
    stores = p.add_argument(
        "inputs", nargs="+", default=[], help="result stores, in the figure's order"
    )
    # optional, so that --table needs none; "+" rather than "*" keeps argparse from matching an
    # empty list right after NAME, so stores may still follow the options (figure X --out f a.nc)
    stores.required = False
    p.set_defaults(func=_cmd_figure)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``repgeom`` command; returns the exit status."""
    from repgeom.plugins import load_from_environment

    try:  # the config's plugins (exported by the Snakefile): their figures are choices below
        load_from_environment()
    except RepgeomError as exc:
        print(f"repgeom: error: {exc}", file=sys.stderr)
        return 2
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        args.func(args)
    except RepgeomError as exc:
        action = getattr(args, ACTION_DEST, None)
        command = f"{args.command} {action}" if action else args.command
        print(f"repgeom {command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`
        sys.stderr.close()
    return 0
