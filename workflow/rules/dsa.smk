# DSA: every representation of a clip set (clips are trials), and the tutorial's systems.


rule dsa_tutorial:
    output:
        STAGES["dsa_tutorial"].output,
    log:
        STAGES["dsa_tutorial"].log,
    benchmark:
        STAGES["dsa_tutorial"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["dsa_tutorial"].spec_param(config),
    shell:
        STAGES["dsa_tutorial"].shell


rule dsa:
    input:
        unpack(STAGES["dsa"].input_function(config)),
    output:
        STAGES["dsa"].output,
    log:
        STAGES["dsa"].log,
    benchmark:
        STAGES["dsa"].benchmark_file
    conda:
        ENV
    threads: STAGES["dsa"].threads
    resources:
        gpu=plan.gpus(config),
    params:
        py=PY,
        spec=STAGES["dsa"].spec_param(config),
        files=STAGES["dsa"].files_param(config),
    shell:
        STAGES["dsa"].shell


ruleorder: dsa_tutorial > dsa


rule dsa_sweep:
    input:
        unpack(STAGES["dsa_sweep"].input_function(config)),
    output:
        STAGES["dsa_sweep"].output,
    log:
        STAGES["dsa_sweep"].log,
    benchmark:
        STAGES["dsa_sweep"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["dsa_sweep"].spec_param(config),
        files=STAGES["dsa_sweep"].files_param(config),
    shell:
        STAGES["dsa_sweep"].shell
