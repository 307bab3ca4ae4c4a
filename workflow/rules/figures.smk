# One rule per manuscript figure (repgeom.figures.<name>), each reading only result stores.
# The PNGs go into `snakemake --report report.html` with the captions in workflow/report/.
for figure in plan.figures(config):

    rule:
        name:
            f"figure_{figure}"
        input:
            plan.figure_inputs(config, figure),
        output:
            report(
                plan.FIGURE.format(figure=figure, ext="png"),
                caption=f"../report/{figure}.rst",
                category="Figures",
            ),
            plan.FIGURE.format(figure=figure, ext="pdf"),
        log:
            plan.LOG.format(rule="figure", name=figure),
        params:
            name=figure,
        shell:
            "{PY} figure {params.name} --out figures/{params.name} {input} 2> {log}"
