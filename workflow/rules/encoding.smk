# One job per model (its layers to every still-image neural dataset), then one job that joins
# them into results/encoding.nc.
rule encoding_model:
    input:
        unpack(STAGES["encoding_model"].input_function(config)),
    output:
        STAGES["encoding_model"].output,
    log:
        STAGES["encoding_model"].log,
    benchmark:
        STAGES["encoding_model"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["encoding_model"].spec_param(config),
    shell:
        STAGES["encoding_model"].shell


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
