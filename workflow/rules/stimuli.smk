rule stimuli:
    output:
        STAGES["stimuli"].output,
    log:
        STAGES["stimuli"].log,
    conda:
        ENV
    params:
        py=PY,
        spec=STAGES["stimuli"].spec_param(config),
    shell:
        STAGES["stimuli"].shell
