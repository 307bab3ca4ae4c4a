# Distance matrices over every representation of a stimulus set (model layers and brains).
# A metric's K×K matrix is split into blocks of analyses.distances.block_size representations
# (repgeom.blocks.Block); each block is one job (spread over a cluster), and `distances`
# assembles them and stores the matrix's display layout (MDS map, linkage, leaf order).


rule distances_block:
    input:
        unpack(STAGES["distances_block"].input_function(config)),
    output:
        STAGES["distances_block"].output,
    log:
        STAGES["distances_block"].log,
    benchmark:
        STAGES["distances_block"].benchmark_file
    conda:
        ENV
    threads: STAGES["distances_block"].threads
    resources:
        mem_mb=STAGES["distances_block"].mem_mb,
        gpu=plan.gpus(config),
    params:
        py=PY,
        spec=STAGES["distances_block"].spec_param(config),
        files=STAGES["distances_block"].files_param(config),
    shell:
        STAGES["distances_block"].shell


rule distances:
    input:
        unpack(STAGES["distances"].input_function(config)),
    output:
        STAGES["distances"].output,
    log:
        STAGES["distances"].log,
    benchmark:
        STAGES["distances"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["distances"].spec_param(config),
    shell:
        STAGES["distances"].shell


rule rdms:
    input:
        unpack(STAGES["rdms"].input_function(config)),
    output:
        STAGES["rdms"].output,
    log:
        STAGES["rdms"].log,
    benchmark:
        STAGES["rdms"].benchmark_file
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["rdms"].spec_param(config),
        files=STAGES["rdms"].files_param(config),
    shell:
        STAGES["rdms"].shell


rule inference:
    input:
        unpack(STAGES["inference"].input_function(config)),
    output:
        STAGES["inference"].output,
    log:
        STAGES["inference"].log,
    benchmark:
        STAGES["inference"].benchmark_file
    conda:
        ENV
    threads: STAGES["inference"].threads
    params:
        py=PY,
        spec=STAGES["inference"].spec_param(config),
        files=STAGES["inference"].files_param(config),
    shell:
        STAGES["inference"].shell
