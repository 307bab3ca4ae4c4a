rule stimuli:
    input:
        unpack(STAGES["stimuli"].input_function(config)),
    output:
        STAGES["stimuli"].output,
    log:
        STAGES["stimuli"].log,
    benchmark:
        STAGES["stimuli"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["stimuli"].spec_param(config),
    shell:
        STAGES["stimuli"].shell
