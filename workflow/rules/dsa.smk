# DSA: every representation of a clip set (clips are trials), and the tutorial's systems.


rule dsa_tutorial:
    output:
        plan.DSA.format(clipset=plan.DSA_TUTORIAL),
    log:
        plan.LOG.format(rule="dsa", name=plan.DSA_TUTORIAL),
    params:
        spec=plan.dsa_spec(config, plan.DSA_TUTORIAL),
    shell:
        "{PY} dsa-tutorial --spec {params.spec} --out {output} 2> {log}"


rule dsa:
    input:
        unpack(lambda w: plan.representation_inputs(config, w.clipset)),
    output:
        plan.DSA,
    log:
        plan.LOG.format(rule="dsa", name="{clipset}"),
    benchmark:
        plan.BENCHMARK.format(rule="dsa", name="{clipset}")
    threads: 2
    resources:
        gpu=plan.gpus(config),
    params:
        spec=lambda w: plan.dsa_spec(config, w.clipset),
        files=lambda w: plan.representation_files(config, w.clipset),
    shell:
        "{PY} dsa --spec {params.spec} --out {output} "
        "--activations {params.files[activations]} --neural {params.files[neural]} 2> {log}"


ruleorder: dsa_tutorial > dsa
