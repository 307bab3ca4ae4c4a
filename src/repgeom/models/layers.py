"""Layer names: friendly aliases, graph nodes and module names.

A layer can be requested by

- an alias (``block1``..., ``pool``, ``logits``; see :func:`aliases`),
- a graph node name from torchvision's FX tracing (``layer1.0.relu_1``, ``encoder.ln``), or
- a module name (``layer3``, ``features.4``): the output of that module.

``repgeom layers ARCH`` prints all three.
"""

from __future__ import annotations

import difflib
import re
from functools import cache

from torch import nn
from torchvision.models.feature_extraction import get_graph_node_names

from repgeom.errors import UnknownLayerError
from repgeom.models.zoo import build_model

_RESNET = re.compile(r"^(resnet|resnext|wide_resnet)")
_VIT = re.compile(r"^vit_")


@cache
def _graph(architecture: str) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    """(eval graph nodes, module names, top-level `features` children) of an architecture."""
    model = build_model(architecture)
    return _graph_of(model)


def _graph_of(model: nn.Module) -> tuple[tuple[str, ...], tuple[str, ...], tuple[str, ...]]:
    _, nodes = get_graph_node_names(model)
    modules = tuple(name for name, _ in model.named_modules() if name)
    features = getattr(model, "features", None)
    blocks = (
        tuple(f"features.{name}" for name, _ in features.named_children())
        if isinstance(features, nn.Sequential)
        else ()
    )
    return tuple(n for n in nodes if n != "x"), modules, blocks


def aliases(architecture: str, model: nn.Module | None = None) -> dict[str, str]:
    """Friendly aliases of an architecture's layers, alias → module or node name.

    - ResNet family: ``stem`` (after max-pooling), ``block1``–``block4`` (``layer1``–``layer4``),
      ``pool`` (global average pool), ``logits``.
    - ViT: ``block1``… (encoder layers), ``final`` (``encoder.ln``, the token embedding after
      the last layer norm, as in the RSA tutorial), ``logits``.
    - models with a ``features`` Sequential (AlexNet, VGG, MobileNet, EfficientNet, ConvNeXt,
      SqueezeNet, DenseNet): ``block1``… for its children, ``pool`` if present, ``logits``.
    - every model: ``logits``, the last node of the graph.
    """
    nodes, modules, blocks = _graph_of(model) if model is not None else _graph(architecture)
    table: dict[str, str] = {}
    if _RESNET.match(architecture):
        table.update(stem="maxpool", pool="avgpool")
        table.update({f"block{i}": f"layer{i}" for i in range(1, 5)})
    elif _VIT.match(architecture):
        layers = [m for m in modules if re.fullmatch(r"encoder\.layers\.encoder_layer_\d+", m)]
        table.update({f"block{i + 1}": name for i, name in enumerate(layers)})
        table["final"] = "encoder.ln"
    else:
        table.update({f"block{i + 1}": name for i, name in enumerate(blocks)})
        if "avgpool" in modules:
            table["pool"] = "avgpool"
    table["logits"] = nodes[-1]
    return table


def layer_table(architecture: str) -> dict[str, list[str]]:
    """All requestable names: ``{"aliases": [...], "modules": [...], "nodes": [...]}``."""
    nodes, modules, _ = _graph(architecture)
    return {
        "aliases": [f"{a} -> {t}" for a, t in aliases(architecture).items()],
        "modules": list(modules),
        "nodes": list(nodes),
    }


def resolve_layers(
    architecture: str, requested: list[str], model: nn.Module | None = None
) -> dict[str, str]:
    """Map each requested layer to the name ``create_feature_extractor`` understands.

    Parameters
    ----------
    architecture : str
        torchvision architecture name.
    requested : list of str
        Aliases, node names or module names; order is kept.
    model : torch.nn.Module, optional
        The built model when constructor kwargs change its graph (e.g. a smaller ViT).

    Raises
    ------
    UnknownLayerError
        Naming the unknown layer, the closest valid names and ``repgeom layers ARCH``.
    """
    nodes, modules, _ = _graph_of(model) if model is not None else _graph(architecture)
    table = aliases(architecture, model)
    valid = set(nodes) | set(modules)
    resolved: dict[str, str] = {}
    for name in requested:
        target = table.get(name, name)
        if target not in valid:
            close = difflib.get_close_matches(name, [*table, *valid], n=4)
            raise UnknownLayerError(
                f"{architecture} has no layer {name!r}; closest: {close}. "
                f"Run `repgeom layers {architecture}` to list aliases, modules and graph nodes"
            )
        resolved[name] = target
    if len(set(resolved.values())) != len(resolved):
        raise UnknownLayerError(
            f"{architecture}: layers {requested} name the same output twice; list each once"
        )
    return resolved
