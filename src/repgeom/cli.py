"""``repgeom``: inspect stores, list models and layers, and run workflow stages.

Examples
--------
::

    repgeom layers resnet18           # aliases, modules and graph nodes you can extract
    repgeom models                    # torchvision architectures repgeom can build
    repgeom inspect results/dimensionality.nc
    repgeom check-config config.yaml  # validate a config without running anything

The stage commands (``stimuli``, ``neural``, ``extract``, ``dimensionality``, ``figure``) are
what the Snakemake rules call; each takes its part of the config as a JSON ``--spec``.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence

from repgeom import __version__
from repgeom.errors import RepgeomError
from repgeom.plan import FIGURE_NAMES

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


def _cmd_stimuli(args: argparse.Namespace) -> None:
    from repgeom.stages import stimuli_stage

    stimuli_stage(args.name, json.loads(args.spec), args.out)


def _cmd_neural(args: argparse.Namespace) -> None:
    from repgeom.stages import neural_stage

    neural_stage(args.name, json.loads(args.spec), args.stimuli, args.out)


def _cmd_extract(args: argparse.Namespace) -> None:
    from repgeom.stages import activations_stage

    activations_stage(
        args.stimset,
        args.model,
        json.loads(args.spec),
        args.stimuli,
        args.out,
        threads=args.threads,
    )


def _cmd_dimensionality(args: argparse.Namespace) -> None:
    from repgeom.stages import dimensionality_stage

    dimensionality_stage(args.inputs, json.loads(args.spec), args.out)


def _cmd_train(args: argparse.Namespace) -> None:
    from repgeom.stages import training_stage

    training_stage(args.model, json.loads(args.spec), args.stimuli, args.out, threads=args.threads)


def _cmd_encoding(args: argparse.Namespace) -> None:
    from repgeom.stages import encoding_stage

    encoding_stage(args.neural, args.activations, json.loads(args.spec), args.out)


def _cmd_distances_block(args: argparse.Namespace) -> None:
    from repgeom.comparison_stages import distances_block_stage

    spec = json.loads(args.spec)
    distances_block_stage(args.activations, args.neural, spec, tuple(args.block), args.out)


def _cmd_distances_combine(args: argparse.Namespace) -> None:
    from repgeom.comparison_stages import distances_combine_stage

    distances_combine_stage(args.blocks, json.loads(args.spec), args.out)


def _cmd_rdms(args: argparse.Namespace) -> None:
    from repgeom.comparison_stages import rdms_stage

    rdms_stage(args.activations, args.neural, json.loads(args.spec), args.out)


def _cmd_dsa(args: argparse.Namespace) -> None:
    from repgeom.comparison_stages import dsa_stage

    dsa_stage(args.activations, args.neural, json.loads(args.spec), args.out)


def _cmd_dsa_tutorial(args: argparse.Namespace) -> None:
    from repgeom.comparison_stages import dsa_tutorial_stage

    dsa_tutorial_stage(json.loads(args.spec), args.out)


def _cmd_figure(args: argparse.Namespace) -> None:
    from repgeom.figures import FIGURES

    FIGURES[args.name](args.inputs, args.out)


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

    stage_help = "workflow stage (called by Snakemake rules)"
    p = sub.add_parser("stimuli", help=f"{stage_help}: build a stimulus set")
    p.add_argument("--name", required=True)
    p.add_argument("--spec", required=True, help="the stimset's config entry as JSON")
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_stimuli)

    p = sub.add_parser("neural", help=f"{stage_help}: simulate or load neural data")
    p.add_argument("--name", required=True)
    p.add_argument("--spec", required=True)
    p.add_argument("--stimuli", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_neural)

    p = sub.add_parser("extract", help=f"{stage_help}: extract and reduce a model's layers")
    p.add_argument("--stimset", required=True)
    p.add_argument("--model", required=True)
    p.add_argument("--spec", required=True)
    p.add_argument("--stimuli", required=True)
    p.add_argument("--out", required=True, help="folder for one store per layer")
    p.add_argument("--threads", type=int, default=None)
    p.set_defaults(func=_cmd_extract)

    p = sub.add_parser("dimensionality", help=f"{stage_help}: spectra and ED of every layer")
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("inputs", nargs="+", help="activation folders")
    p.set_defaults(func=_cmd_dimensionality)

    p = sub.add_parser("train", help=f"{stage_help}: train a model on stimulus sets")
    p.add_argument("--model", required=True)
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True, help="weights file (.pt)")
    p.add_argument("--threads", type=int, default=None)
    p.add_argument("stimuli", nargs="+", help="stimuli stores to train on")
    p.set_defaults(func=_cmd_train)

    p = sub.add_parser("encoding", help=f"{stage_help}: encoding models, every layer to data")
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("--neural", nargs="+", required=True, help="neural stores")
    p.add_argument("--activations", nargs="+", required=True, help="activation folders")
    p.set_defaults(func=_cmd_encoding)

    def representations(p: argparse.ArgumentParser) -> None:
        p.add_argument("--spec", required=True)
        p.add_argument("--out", required=True)
        p.add_argument("--activations", nargs="*", default=[], help="per-layer activation stores")
        p.add_argument("--neural", nargs="*", default=[], help="neural stores")

    p = sub.add_parser("distances-block", help=f"{stage_help}: one block of a distance matrix")
    representations(p)
    p.add_argument("--block", nargs=2, type=int, required=True, metavar=("I", "J"))
    p.set_defaults(func=_cmd_distances_block)

    p = sub.add_parser("distances-combine", help=f"{stage_help}: assemble a matrix's blocks")
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.add_argument("blocks", nargs="+", help="block stores")
    p.set_defaults(func=_cmd_distances_combine)

    p = sub.add_parser("rdms", help=f"{stage_help}: RDMs of every representation")
    representations(p)
    p.set_defaults(func=_cmd_rdms)

    p = sub.add_parser("dsa", help=f"{stage_help}: DSA between representations of a clip set")
    representations(p)
    p.set_defaults(func=_cmd_dsa)

    p = sub.add_parser("dsa-tutorial", help=f"{stage_help}: DSA of circle / oval / walk")
    p.add_argument("--spec", required=True)
    p.add_argument("--out", required=True)
    p.set_defaults(func=_cmd_dsa_tutorial)

    p = sub.add_parser("figure", help=f"{stage_help}: render a figure from stores")
    p.add_argument("name", choices=FIGURE_NAMES)
    p.add_argument("--out", required=True, help="output path without suffix (PNG and PDF)")
    p.add_argument("inputs", nargs="+")
    p.set_defaults(func=_cmd_figure)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``repgeom`` command; returns the exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    try:
        args.func(args)
    except RepgeomError as exc:
        print(f"repgeom {args.command}: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # output piped into `head`
        sys.stderr.close()
    return 0
