# repgeom workflow: stimuli -> neural data -> activations (exact reduced) -> analyses -> figures.
# Run with `make run` (or `snakemake --profile workflow/profiles/local`). All logic lives in the
# repgeom package; the rules only call `python -m repgeom <stage>`.
from snakemake.utils import min_version

min_version("9.0")


# The embedded default, unless configs are given with --configfile: then only they count
# (Snakemake would otherwise merge them into the default, adding its models and sets).
if not workflow.overwrite_configfiles:

    configfile: f"{workflow.basedir}/config.yaml"


wildcard_constraints:
    stimset=r"[^/]+",
    clipset=r"[^/]+",
    metric=r"[^/]+",
    block=r"\d+-\d+",


include: "workflow/rules/common.smk"


# results/, figures/ and logs/ (and .snakemake/) go to the config's output_dir, or to
# --directory when given (the same folder for the main process and for cluster jobs)
RUN_DIR = repgeom_config.run_dir(
    config, main_process=workflow.is_main_process, directory=workflow.overwrite_workdir
)


workdir: RUN_DIR


# A run killed earlier left Snakemake's lock behind: resume without `--unlock` when no other
# run of this directory is alive (repgeom.runlock).
if workflow.is_main_process:
    runlock.claim()


include: "workflow/rules/stimuli.smk"
include: "workflow/rules/neural.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/activations.smk"
include: "workflow/rules/dimensionality.smk"
include: "workflow/rules/encoding.smk"
include: "workflow/rules/study.smk"
include: "workflow/rules/distances.smk"
include: "workflow/rules/dsa.smk"
include: "workflow/rules/figures.smk"


rule all:
    default_target: True
    input:
        plan.targets(config),
