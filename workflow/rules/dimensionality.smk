rule dimensionality:
    input:
        plan.activation_dirs(config),
    output:
        plan.DIMENSIONALITY,
    log:
        plan.LOG.format(rule="dimensionality", name="all"),
    params:
        spec=plan.dimensionality_spec(config),
    shell:
        "{PY} dimensionality --spec {params.spec} --out {output} {input} 2> {log}"
