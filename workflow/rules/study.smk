# The dimensionality study's readouts on the categorised still sets (stimuli store's category):
# few-shot classification and class-manifold geometry, each one job over every layer.
rule classification:
    input:
        unpack(STAGES["classification"].input_function(config)),
    output:
        STAGES["classification"].output,
    log:
        STAGES["classification"].log,
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
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["manifolds"].spec_param(config),
    shell:
        STAGES["manifolds"].shell
