rule dimensionality:
    input:
        plan.activation_dirs(config),
    output:
        plan.DIMENSIONALITY,
    params:
        spec=plan.dimensionality_spec(config),
    log:
        plan.LOG.format(rule="dimensionality", name="all"),
    shell:
        "{PY} dimensionality --spec {params.spec} --out {output} {input} 2> {log}"
