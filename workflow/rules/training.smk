# Models with `train:` in the config are trained here (a minute of CPU) before extraction.
rule train:
    input:
        unpack(STAGES["train"].input_function(config)),
    output:
        STAGES["train"].output,
    log:
        STAGES["train"].log,
    benchmark:
        STAGES["train"].benchmark_file
    conda:
        ENV
    threads: STAGES["train"].threads
    params:
        py=PY,
        spec=STAGES["train"].spec_param(config),
    shell:
        STAGES["train"].shell
