# One job per stimulus set x model: one forward pass per batch feeds every layer; the folder
# holds one exact reduced store per layer ({layer}.nc).
rule activations:
    input:
        stimuli=plan.STIMULI,
        weights=lambda w: plan.trained_weights(config, w.model),
    output:
        directory(plan.ACTIVATIONS),
    log:
        plan.LOG.format(rule="activations", name="{stimset}.{model}"),
    benchmark:
        plan.BENCHMARK.format(rule="activations", name="{stimset}.{model}")
    threads: 2
    resources:
        mem_mb=4000,
        gpu=plan.gpus(config),
    params:
        spec=lambda w: plan.extraction_spec(config, w.model),
    shell:
        "{PY} extract --stimset {wildcards.stimset} --model {wildcards.model} "
        "--spec {params.spec} --stimuli {input.stimuli} --out {output} "
        "--threads {threads} 2> {log}"
