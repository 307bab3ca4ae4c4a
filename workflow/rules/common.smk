# Validate the config (schema first, then repgeom's semantic checks) before any job is planned.
# Every rule takes its paths, inputs, spec and command from its stage's declaration
# (repgeom.stages.STAGES) and figures from theirs (repgeom.figures.FIGURES).
import shlex
import sys

from snakemake.utils import validate

from repgeom import config as repgeom_config
from repgeom import plan, plugins
from repgeom.stages import STAGES

validate(config, schema="../schemas/config.schema.yaml", set_default=True)
plugins.activate(config["plugins"])  # your metrics and figures, here and in every job
repgeom_config.check(config)

# The interpreter running snakemake (the project venv) runs every stage (a rule's params.py).
PY = f"{shlex.quote(sys.executable)} -m repgeom"
# Conda users: the environment of every rule (relative to the .smk files in this folder).
ENV = "../../environment.yml"
