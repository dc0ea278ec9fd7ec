rule report:
    input:
        latent="results/{dataset}/{model}/latent.h5ad",
        rankings="results/{dataset}/{model}/rankings.tsv",
        enrichment=enrichment_tables,
        scores="results/{dataset}/{model}/disentanglement.tsv",
        dimensions="results/{dataset}/{model}/dimensions.tsv",
        factor_metrics="results/{dataset}/{model}/factor_metrics.tsv",
        factors="results/{dataset}/{model}/factors.tsv",
        programs="results/{dataset}/{model}/programs.tsv",
        training="results/{dataset}/{model}/training.png",
        gmts=library_paths,
    output:
        report(
            directory("results/{dataset}/{model}/report"),
            htmlindex="index.html",
            caption="../report/model_report.rst",
            category="Per-dimension reports",
            subcategory="{dataset}",
            labels={"model": "{model}"},
        ),
    params:
        settings=dict(sorted(config["report"].items())),
        fdr=config["enrichment"]["fdr"],
        labels=lambda wc: DATASETS[wc.dataset]["labels"],
        libraries=lambda wc: libraries_of(wc.dataset),
    resources:
        mem_mb=memory(2000, per_input_mb=5),
        runtime=minutes(30),
    log:
        "logs/{dataset}/{model}/report.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/report.py"


rule summarize:
    input:
        scores=model_outputs("results/{dataset}/{model}/disentanglement.tsv"),
        factor_scores=model_outputs("results/{dataset}/{model}/factor_metrics.tsv"),
        specs=model_outputs("results/{dataset}/{model}/specs.json"),
        losses=model_outputs("results/{dataset}/{model}/losses.tsv"),
    output:
        report(
            "results/{dataset}/summary.tsv",
            caption="../report/summary.rst",
            category="Summary",
            labels={"dataset": "{dataset}"},
        ),
    params:
        models=lambda wc: models_of(wc.dataset),
    resources:
        mem_mb=memory(1000),
        runtime=minutes(10),
    log:
        "logs/{dataset}/summarize.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/summarize.py"


rule sweep_summary:
    input:
        "results/{dataset}/summary.tsv",
    output:
        models="results/{dataset}/sweep/models.tsv",
        summary=report(
            "results/{dataset}/sweep/summary.tsv",
            caption="../report/sweep.rst",
            category="Sweep",
            labels={"dataset": "{dataset}", "table": "mean and sd over seeds"},
        ),
        figure=report(
            "results/{dataset}/sweep/metrics.png",
            caption="../report/sweep.rst",
            category="Sweep",
            labels={"dataset": "{dataset}", "figure": "metrics against β"},
        ),
    params:
        models=lambda wc: sweep_of(wc.dataset),
    resources:
        mem_mb=memory(1000),
        runtime=minutes(10),
    log:
        "logs/{dataset}/sweep_summary.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/sweep_summary.py"


rule compare:
    input:
        summary="results/{dataset}/summary.tsv",
        terms=model_outputs("results/{dataset}/{model}/terms.tsv"),
        reports=model_outputs("results/{dataset}/{model}/report"),  # the page links into them
    output:
        report(
            directory("results/{dataset}/comparison"),
            htmlindex="index.html",
            caption="../report/comparison.rst",
            category="Comparison",
            labels={"dataset": "{dataset}"},
        ),
    params:
        models=lambda wc: models_of(wc.dataset),
        fdr=config["enrichment"]["fdr"],
    resources:
        mem_mb=memory(1500),
        runtime=minutes(15),
    log:
        "logs/{dataset}/compare.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/compare_models.py"
