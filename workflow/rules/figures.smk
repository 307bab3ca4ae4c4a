rule figure_stimuli:
    input:
        [plan.STIMULI.format(stimset=s) for s in config["stimsets"]],
    output:
        plan.figure_files("stimuli"),
    log:
        plan.LOG.format(rule="figure", name="stimuli"),
    shell:
        "{PY} figure stimuli --out figures/stimuli {input} 2> {log}"


rule figure_dimensionality:
    input:
        plan.DIMENSIONALITY,
    output:
        plan.figure_files("dimensionality"),
    log:
        plan.LOG.format(rule="figure", name="dimensionality"),
    shell:
        "{PY} figure dimensionality --out figures/dimensionality {input} 2> {log}"


rule figure_ed_encoding:
    input:
        plan.DIMENSIONALITY,
        plan.ENCODING,
    output:
        plan.figure_files("ed_encoding"),
    log:
        plan.LOG.format(rule="figure", name="ed_encoding"),
    shell:
        "{PY} figure ed_encoding --out figures/ed_encoding {input} 2> {log}"
