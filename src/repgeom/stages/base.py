"""The declaration of a workflow stage: one value that the CLI, the planner and the rules read.

A :class:`Stage` names its rule and its ``repgeom`` subcommand, its output path, its inputs (a
function of the config and the wildcards), the part of the config that determines its output
(``spec``), its command-line arguments (each with the rule placeholder it is filled from) and
the function that runs it. From it

- :mod:`repgeom.cli` builds the subcommand (:meth:`Stage.add_parser`, :meth:`Stage.main`);
- ``workflow/rules/*.smk`` take the output, log, inputs, ``spec`` and shell command
  (:meth:`Stage.shell`);
- :mod:`repgeom.plan` and the tests take the spec (:meth:`Stage.spec`).

A stage may also offer other actions on its command that are not workflow steps
(:class:`StageAction`, e.g. ``repgeom neural check FILE``): ``repgeom COMMAND ACTION ...``
runs the action, ``repgeom COMMAND --spec ... --out ...`` (what the rule runs) the stage.
"""

from __future__ import annotations

import argparse
import json
import shlex
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from repgeom import paths

Config = Mapping[str, Any]
#: Snakemake's wildcards object, or any mapping of wildcard name to value.
WildcardsLike = Any


def quoted_json(obj: Any) -> str:
    """A config fragment as one shell-quoted JSON word (for a rule's ``params``)."""
    return shlex.quote(json.dumps(obj, sort_keys=True))


def wildcard_dict(wildcards: WildcardsLike) -> dict[str, str]:
    """Snakemake's ``Wildcards`` (or a mapping) as a plain dict."""
    if wildcards is None:
        return {}
    if isinstance(wildcards, Mapping):
        return dict(wildcards)
    return dict(wildcards.items())


@dataclass(frozen=True)
class Arg:
    """One command-line argument of a stage and the rule placeholder that fills it.

    ``--{name}`` (or a positional argument), parsed with ``type``; ``nargs`` as in argparse
    (``"*"`` arguments default to an empty list and are optional, and so is an argument with
    ``required=False``, which defaults to ``None``). ``source`` is what the
    rule's shell command passes, e.g. ``"{input.stimuli}"`` or ``"{wildcards.model}"``.
    """

    name: str
    source: str
    help: str = ""
    nargs: str | None = None
    type: Callable[[str], Any] = str
    positional: bool = False
    required: bool = True

    def add_to(self, parser: argparse.ArgumentParser, *, enforce: bool = True) -> None:
        """Add the argument to a subcommand's parser. With ``enforce=False`` a required option
        is left to :meth:`Stage.main` to require (a stage command with actions)."""
        kw: dict[str, Any] = {"help": self.help or None, "type": self.type}
        if self.nargs is not None:
            kw["nargs"] = self.nargs
        if self.positional:
            parser.add_argument(self.name, **kw)
        elif self.nargs == "*":
            parser.add_argument(f"--{self.name}", default=[], **kw)
        elif self.required and enforce:
            parser.add_argument(f"--{self.name}", required=True, **kw)
        else:
            parser.add_argument(f"--{self.name}", default=None, **kw)

    def shell(self) -> str:
        """This argument in a rule's shell command."""
        return self.source if self.positional else f"--{self.name} {self.source}"


#: The namespace attribute holding a stage action's name (None: run the stage), and the one
#: holding the stage's parser (for usage errors raised after parsing).
ACTION_DEST, PARSER_DEST = "stage_action", "stage_parser"


@dataclass(frozen=True)
class StageAction:
    """Another action of a stage's command, not a workflow step: ``repgeom COMMAND NAME ...``.

    ``arguments(parser)`` adds its arguments to its own parser; ``run(args)`` runs it with the
    parsed arguments and raises a :class:`~repgeom.errors.RepgeomError` to fail (the CLI prints
    the message and exits with status 2). ``description`` is the action's ``--help`` text
    (default: ``help``).
    """

    name: str
    help: str
    arguments: Callable[[argparse.ArgumentParser], None]
    run: Callable[[argparse.Namespace], Any]
    description: str | None = None


#: The :class:`Stage` settings of a stage that runs on the configured device (a GPU when the
#: config asks for CUDA): ``Stage(..., **ON_DEVICE)``.
ON_DEVICE: Mapping[str, Any] = {"device": True, "gpu": True}


@dataclass(frozen=True)
class Stage:
    """One workflow stage, declared once.

    Parameters
    ----------
    name : str
        The Snakemake rule (and the ``{rule}`` of its log and benchmark paths).
    command : str
        The ``repgeom`` subcommand the rule runs.
    help : str
        One line for ``repgeom --help``.
    output : str
        Path template of the output (a folder when ``directory``), from :mod:`repgeom.paths`.
    spec : callable ``(config, **wildcards) -> dict``
        The part of the validated config that determines the output. The rule passes it as a
        param (JSON), so a job reruns exactly when its own part of the config changes.
    run : callable
        The stage function, called as ``run(spec=..., out=..., **args)`` (plus ``device=`` when
        ``device`` is set).
    args : tuple of Arg
        Arguments besides ``--spec`` and ``--out``.
    inputs : callable ``(config, **wildcards) -> dict``, optional
        The rule's named inputs (paths or lists of paths).
    files : callable ``(config, **wildcards) -> dict``, optional
        Files inside the input folders the job reads (the rule's ``params.files``).
    device : bool
        Whether the job resolves ``spec["device"]`` to a :class:`torch.device` (once, before
        ``run``) and passes it down as ``device=``.
    gpu : bool
        Whether the rule asks the scheduler for a GPU when the config's device is CUDA.
    threads, mem_mb : int
        The rule's threads and memory (``mem_mb=0``: the profile's default).
    log_rule, log_name : str, optional
        The log's folder and name (default: the rule, and the wildcards joined by ``.``).
    description, epilog : str, optional
        Text shown by ``repgeom COMMAND --help`` before and after the arguments (kept as
        written: line breaks and indentation stay).
    actions : tuple of StageAction
        Other actions of the command (``repgeom COMMAND ACTION ...``); a stage with actions
        takes no positional arguments.
    """

    name: str
    command: str
    help: str
    output: str
    spec: Callable[..., dict[str, Any]]
    run: Callable[..., Any]
    args: tuple[Arg, ...] = ()
    inputs: Callable[..., dict[str, Any]] | None = None
    files: Callable[..., dict[str, list[str]]] | None = None
    device: bool = False
    gpu: bool = False
    threads: int = 1
    mem_mb: int = 0
    directory: bool = False
    log_rule: str | None = None
    log_name: str | None = None
    description: str | None = None
    epilog: str | None = None
    actions: tuple[StageAction, ...] = ()

    # -- paths ---------------------------------------------------------------------------
    @property
    def wildcards(self) -> tuple[str, ...]:
        """Wildcards of the output template, in order."""
        fields = (f for _, f, _, _ in string.Formatter().parse(self.output) if f)
        return tuple(dict.fromkeys(fields))

    def _job_name(self) -> str:
        if self.log_name is not None:
            return self.log_name
        return ".".join(f"{{{w}}}" for w in self.wildcards) or "all"

    @property
    def log(self) -> str:
        """Log path template of the rule."""
        return paths.LOG.format(rule=self.log_rule or self.name, name=self._job_name())

    @property
    def benchmark_file(self) -> str:
        """Benchmark path template of the rule (every rule records one: wall time, peak memory;
        ``benchmarks/bench_scale.py`` reads them)."""
        return paths.BENCHMARK.format(rule=self.log_rule or self.name, name=self._job_name())

    # -- what the rule passes --------------------------------------------------------------
    def spec_for(self, config: Config, wildcards: WildcardsLike = None) -> dict[str, Any]:
        """The stage's spec for one job (``wildcards``: Snakemake's or a mapping)."""
        return self.spec(config, **wildcard_dict(wildcards))

    def spec_param(self, config: Config) -> Callable[[WildcardsLike], str]:
        """The rule's ``params.spec``: a function of the wildcards giving one JSON word."""
        return lambda wildcards: quoted_json(self.spec_for(config, wildcards))

    def input_function(self, config: Config) -> Callable[[WildcardsLike], dict[str, Any]]:
        """The rule's named inputs as a function of the wildcards (use with ``unpack``)."""
        inputs = self.inputs or (lambda config, **w: {})
        return lambda wildcards: inputs(config, **wildcard_dict(wildcards))

    def files_param(self, config: Config) -> Callable[[WildcardsLike], dict[str, list[str]]]:
        """The rule's ``params.files``: files inside the input folders."""
        files = self.files or (lambda config, **w: {})
        return lambda wildcards: files(config, **wildcard_dict(wildcards))

    @property
    def shell(self) -> str:
        """The rule's shell command (``params.py`` is the interpreter running ``-m repgeom``)."""
        options = [a.shell() for a in self.args if not a.positional]
        positional = [a.shell() for a in self.args if a.positional]
        words = [
            "{params.py}",
            self.command,
            *options,
            "--spec {params.spec} --out {output}",
            *positional,
        ]
        return " ".join(words) + " 2> {log}"

    # -- the command line ------------------------------------------------------------------
    def add_parser(self, sub: Any) -> argparse.ArgumentParser:
        """Add the stage's subcommand to ``sub`` (an argparse subparsers action), with its
        actions (:class:`StageAction`) as sub-commands of its own."""
        text: dict[str, Any] = {}
        if self.description is not None or self.epilog is not None:
            text = {
                "description": self.description,
                "epilog": self.epilog,
                "formatter_class": argparse.RawDescriptionHelpFormatter,
            }
        if self.actions:  # argparse would show the stage's options as optional
            stage_usage = " ".join(
                [
                    "%(prog)s --spec SPEC --out OUT",
                    *(f"--{a.name} {a.name.upper()}" for a in self.args if a.required),
                ]
            )
            text["usage"] = f"{stage_usage}\n       %(prog)s ACTION ..."
        p = sub.add_parser(
            self.command, help=f"workflow stage (rule {self.name}): {self.help}", **text
        )
        enforce = not self.actions  # with actions, main() requires the stage's options
        p.add_argument("--spec", required=enforce, help="the stage's part of the config, as JSON")
        p.add_argument("--out", required=enforce, help=f"output ({self.output})")
        for arg in self.args:
            arg.add_to(p, enforce=enforce)
        if self.actions:
            if any(a.positional for a in self.args):
                raise ValueError(f"stage {self.name}: a stage with actions takes no positionals")
            actions = p.add_subparsers(
                dest=ACTION_DEST,
                metavar="ACTION",
                title=f"other actions (not workflow steps; `repgeom {self.command} ACTION --help`)",
            )
            for action in self.actions:
                ap = actions.add_parser(
                    action.name,
                    prog=f"{p.prog} {action.name}",
                    help=action.help,
                    description=action.description or action.help,
                    formatter_class=argparse.RawDescriptionHelpFormatter,
                )
                action.arguments(ap)
        p.set_defaults(func=self.main, **{PARSER_DEST: p})
        return p

    def _require_options(self, args: argparse.Namespace) -> None:
        """The stage's required options, for a command whose parser could not require them."""
        names = ["spec", "out", *(a.name for a in self.args if a.required and a.nargs != "*")]
        missing = [f"--{n}" for n in names if getattr(args, n, None) is None]
        if missing:
            parser = getattr(args, PARSER_DEST, None)
            message = f"the following arguments are required: {', '.join(missing)}"
            if parser is None:
                raise SystemExit(f"repgeom {self.command}: error: {message}")
            parser.error(message)

    def main(self, args: argparse.Namespace) -> Any:
        """Run the stage (or the action named on the command line) from parsed arguments."""
        action = getattr(args, ACTION_DEST, None)
        if action is not None:
            return {a.name: a for a in self.actions}[action].run(args)
        if self.actions:
            self._require_options(args)
        spec = json.loads(args.spec)
        kwargs = {a.name: getattr(args, a.name) for a in self.args}
        if self.device:
            from repgeom.device import resolve_device

            kwargs["device"] = resolve_device(spec["device"])
        return self.run(spec=spec, out=args.out, **kwargs)
