rule encoding:
    input:
        unpack(STAGES["encoding"].input_function(config)),
    output:
        STAGES["encoding"].output,
    log:
        STAGES["encoding"].log,
    benchmark:
        STAGES["encoding"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["encoding"].spec_param(config),
    shell:
        STAGES["encoding"].shell
