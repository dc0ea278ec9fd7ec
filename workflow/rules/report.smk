rule report:
    input:
        latent="results/{dataset}/{model}/latent.h5ad",
        rankings="results/{dataset}/{model}/rankings.tsv",
        enrichment=enrichment_tables,
        scores="results/{dataset}/{model}/disentanglement.tsv",
        dimensions="results/{dataset}/{model}/dimensions.tsv",
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
    log:
        "logs/{dataset}/{model}/report.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/report.py"


rule summarize:
    input:
        scores=model_outputs("results/{dataset}/{model}/disentanglement.tsv"),
        specs=model_outputs("results/{dataset}/{model}/specs.json"),
    output:
        report(
            "results/{dataset}/summary.tsv",
            caption="../report/summary.rst",
            category="Summary",
            labels={"dataset": "{dataset}"},
        ),
    params:
        models=list(MODELS),
    log:
        "logs/{dataset}/summarize.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/summarize.py"
