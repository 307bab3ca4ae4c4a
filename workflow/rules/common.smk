# Validate the config (schema first, then repgeom's semantic checks) before any job is planned.
import shlex
import sys

from snakemake.utils import validate

from repgeom import config as repgeom_config
from repgeom import plan

validate(config, schema="../schemas/config.schema.yaml", set_default=True)
repgeom_config.check(config)

# The interpreter running snakemake (the project venv) runs every stage.
PY = f"{shlex.quote(sys.executable)} -m repgeom"
