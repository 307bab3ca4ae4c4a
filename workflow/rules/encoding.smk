rule encoding:
    input:
        **plan.encoding_inputs(config),
    output:
        plan.ENCODING,
    log:
        plan.LOG.format(rule="encoding", name="all"),
    params:
        spec=plan.encoding_spec(config),
    shell:
        "{PY} encoding --spec {params.spec} --out {output} "
        "--neural {input.neural} --activations {input.activations} 2> {log}"
