rule neural:
    input:
        stimuli=lambda w: plan.neural_stimuli(config, w.neural),
    output:
        plan.NEURAL,
    log:
        plan.LOG.format(rule="neural", name="{neural}"),
    params:
        spec=lambda w: plan.neural_spec(config, w.neural),
    shell:
        "{PY} neural --name {wildcards.neural} --spec {params.spec} "
        "--stimuli {input.stimuli} --out {output} 2> {log}"
