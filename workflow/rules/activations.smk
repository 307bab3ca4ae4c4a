# One job per stimulus set x model: one forward pass per batch feeds every layer; the folder
# holds one exact reduced store per layer ({layer}.nc). Its raw activations spill at most
# scratch_budget_gb to disk at once (disk_mb); a wider spill is split over several passes.
rule activations:
    input:
        unpack(STAGES["activations"].input_function(config)),
    output:
        directory(STAGES["activations"].output),
    log:
        STAGES["activations"].log,
    benchmark:
        STAGES["activations"].benchmark_file
    conda:
        ENV
    threads: STAGES["activations"].threads
    resources:
        mem_mb=STAGES["activations"].mem_mb,
        gpu=plan.gpus(config),
        disk_mb=plan.scratch_mb(config),
    params:
        py=PY,
        spec=STAGES["activations"].spec_param(config),
    shell:
        STAGES["activations"].shell
