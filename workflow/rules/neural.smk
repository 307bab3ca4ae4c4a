rule neural:
    input:
        unpack(STAGES["neural"].input_function(config)),
    output:
        STAGES["neural"].output,
    log:
        STAGES["neural"].log,
    benchmark:
        STAGES["neural"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["neural"].spec_param(config),
    shell:
        STAGES["neural"].shell
