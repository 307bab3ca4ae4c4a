# Distance matrices over every representation of a stimulus set (model layers and brains).
# A metric's K×K matrix is split into blocks of analyses.distances.block_size representations;
# each block is one job (spread over a cluster), and `distances` assembles them.


rule distances_block:
    input:
        unpack(lambda w: plan.representation_inputs(config, w.stimset)),
    output:
        plan.DISTANCE_BLOCK,
    log:
        plan.LOG.format(rule="distances_block", name="{stimset}.{metric}.{block}"),
    benchmark:
        plan.BENCHMARK.format(rule="distances_block", name="{stimset}.{metric}.{block}")
    threads: 2
    resources:
        mem_mb=4000,
        gpu=plan.gpus(config),
    params:
        spec=lambda w: plan.distance_spec(config, w.stimset, w.metric),
        files=lambda w: plan.representation_files(config, w.stimset),
        block=lambda w: w.block.replace("-", " "),
    shell:
        "{PY} distances-block --spec {params.spec} --block {params.block} --out {output} "
        "--activations {params.files[activations]} --neural {params.files[neural]} 2> {log}"


rule distances:
    input:
        lambda w: plan.distance_blocks(config, w.stimset, w.metric),
    output:
        plan.DISTANCES,
    log:
        plan.LOG.format(rule="distances", name="{stimset}.{metric}"),
    benchmark:
        plan.BENCHMARK.format(rule="distances", name="{stimset}.{metric}")
    params:
        spec=lambda w: plan.distance_spec(config, w.stimset, w.metric),
    shell:
        "{PY} distances-combine --spec {params.spec} --out {output} {input} 2> {log}"


rule rdms:
    input:
        unpack(lambda w: plan.representation_inputs(config, w.stimset)),
    output:
        plan.RDMS,
    log:
        plan.LOG.format(rule="rdms", name="{stimset}"),
    params:
        spec=lambda w: plan.rdms_spec(config, w.stimset),
        files=lambda w: plan.representation_files(config, w.stimset),
    shell:
        "{PY} rdms --spec {params.spec} --out {output} "
        "--activations {params.files[activations]} --neural {params.files[neural]} 2> {log}"
