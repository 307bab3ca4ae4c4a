# Validate the config (schema first, then repgeom's semantic checks) before any job is planned.
# Every rule takes its paths, inputs, spec and command from its stage's declaration
# (repgeom.stages.STAGES) and figures from theirs (repgeom.figures.FIGURES).
import os
import shlex
import sys

from repgeom import config as repgeom_config
from repgeom import plan, plugins, runlock, store
from repgeom.errors import RepgeomError
from repgeom.stages import STAGES

try:
    # repgeom's own validation (the same schema, defaults filled in): one line per problem,
    # an unknown key with the closest valid ones, and no schema dump
    config.update(repgeom_config.validate(config))
    # relative paths of the config are relative to where you run (jobs inherit the place)
    config.update(
        repgeom_config.resolve_paths(
            config, repgeom_config.launch_dir(main_process=workflow.is_main_process)
        )
    )
    plugins.activate(
        config["plugins"]
    )  # your metrics and figures, here and in every job
    repgeom_config.check(config)
    if (
        workflow.is_main_process
    ):  # files, weights and input sizes: once, not in every job
        repgeom_config.check_inputs(config)
except RepgeomError as exc:
    sys.exit(f"repgeom: error in the config: {exc}")

# Every store of one run records the same config_hash (an environment variable, not a param:
# it reruns nothing); each store's spec_hash says which part of the config made it.
os.environ[store.RUN_CONFIG_HASH] = store.config_hash(config)

# The interpreter running snakemake (the project venv) runs every stage (a rule's params.py).
PY = f"{shlex.quote(sys.executable)} -m repgeom"
# Conda users: the environment of every rule (relative to the .smk files in this folder).
ENV = "../../environment.yml"
