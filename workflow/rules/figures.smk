# One rule per figure the config draws (repgeom.figures.FIGURES: one module each), reading
# only result stores. The PNGs go into `snakemake --report report.html` with their captions.
for figure in plan.figures(config):

    rule:
        name:
            f"figure_{figure}"
        input:
            plan.figure_inputs(config, figure),
        output:
            report(
                plan.figure(figure).files[0],
                caption=str(plan.figure(figure).caption_file),
                category="Figures",
            ),
            plan.figure(figure).files[1],
        log:
            plan.LOG.format(rule="figure", name=figure),
        benchmark:
            plan.BENCHMARK.format(rule="figure", name=figure)
        conda:
            ENV
        params:
            py=PY,
            name=figure,
            stem=plan.output_stem,
            spec=plan.figure_spec_words(config, figure),
        shell:
            "{params.py} figure {params.name} --out {params.stem} {params.spec} {input} 2> {log}"
