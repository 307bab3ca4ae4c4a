rule stimuli:
    output:
        plan.STIMULI,
    params:
        spec=lambda w: plan.stimuli_spec(config, w.stimset),
    log:
        plan.LOG.format(rule="stimuli", name="{stimset}"),
    shell:
        "{PY} stimuli --name {wildcards.stimset} --spec {params.spec} --out {output} 2> {log}"
