rule stimuli:
    output:
        plan.STIMULI,
    log:
        plan.LOG.format(rule="stimuli", name="{stimset}"),
    params:
        spec=lambda w: plan.stimuli_spec(config, w.stimset),
    shell:
        "{PY} stimuli --name {wildcards.stimset} --spec {params.spec} --out {output} 2> {log}"
