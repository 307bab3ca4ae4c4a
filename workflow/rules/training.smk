# Models with `train:` in the config are trained here (a minute of CPU) before extraction.
rule train:
    input:
        lambda w: plan.training_stimuli(config, w.model),
    output:
        plan.WEIGHTS,
    log:
        plan.LOG.format(rule="train", name="{model}"),
    threads: 2
    params:
        spec=lambda w: plan.training_spec(config, w.model),
    shell:
        "{PY} train --model {wildcards.model} --spec {params.spec} --out {output} "
        "--threads {threads} {input} 2> {log}"
