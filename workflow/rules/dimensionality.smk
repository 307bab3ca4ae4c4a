rule dimensionality:
    input:
        unpack(STAGES["dimensionality"].input_function(config)),
    output:
        STAGES["dimensionality"].output,
    log:
        STAGES["dimensionality"].log,
    benchmark:
        STAGES["dimensionality"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["dimensionality"].spec_param(config),
    shell:
        STAGES["dimensionality"].shell
