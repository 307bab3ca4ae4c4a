# The dimensionality study's readouts on the categorised still sets (stimuli store's category):
# few-shot classification and class-manifold geometry, each one job over every layer.
rule classification:
    input:
        unpack(STAGES["classification"].input_function(config)),
    output:
        STAGES["classification"].output,
    log:
        STAGES["classification"].log,
    benchmark:
        STAGES["classification"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["classification"].spec_param(config),
    shell:
        STAGES["classification"].shell


rule manifolds:
    input:
        unpack(STAGES["manifolds"].input_function(config)),
    output:
        STAGES["manifolds"].output,
    log:
        STAGES["manifolds"].log,
    benchmark:
        STAGES["manifolds"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["manifolds"].spec_param(config),
    shell:
        STAGES["manifolds"].shell


# Representational paths (layers, pixels and labels in one metric space) and one model's
# per-layer RDMs and stimulus maps (a recurrent net's steps).
rule paths:
    input:
        unpack(STAGES["paths"].input_function(config)),
    output:
        STAGES["paths"].output,
    log:
        STAGES["paths"].log,
    benchmark:
        STAGES["paths"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["paths"].spec_param(config),
        files=STAGES["paths"].files_param(config),
    shell:
        STAGES["paths"].shell


rule steps:
    input:
        unpack(STAGES["steps"].input_function(config)),
    output:
        STAGES["steps"].output,
    log:
        STAGES["steps"].log,
    benchmark:
        STAGES["steps"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["steps"].spec_param(config),
        files=STAGES["steps"].files_param(config),
    shell:
        STAGES["steps"].shell
