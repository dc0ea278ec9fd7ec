rule rank_genes:
    input:
        "results/{dataset}/{model}/latent.h5ad",
    output:
        "results/{dataset}/{model}/rankings.tsv",
    resources:
        mem_mb=memory(1000, per_input_mb=5),
        runtime=minutes(10),
    log:
        "logs/{dataset}/{model}/rank_genes.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/rank_genes.py"


rule enrich:
    input:
        rankings="results/{dataset}/{model}/rankings.tsv",
        gmt=gmt_path,
        check="results/{dataset}/checks/gene_sets_{library}.tsv",
    output:
        table="results/{dataset}/{model}/enrichment/{library}.tsv",
        overlap="results/{dataset}/{model}/enrichment/{library}.overlap.tsv",
    params:
        settings={k: config["enrichment"][k] for k in ("max_size", "min_size", "permutations", "seed")},
    threads: 1
    resources:
        mem_mb=memory(1500),
        runtime=minutes(60),
    log:
        "logs/{dataset}/{model}/enrich_{library}.log",
    benchmark:
        "benchmarks/runs/{dataset}/{model}/enrich_{library}.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/enrich.py"


rule score_disentanglement:
    input:
        latent="results/{dataset}/{model}/latent.h5ad",
        enrichment=enrichment_tables,
        labels_check="results/{dataset}/checks/labels.tsv",
    output:
        scores="results/{dataset}/{model}/disentanglement.tsv",
        dimensions="results/{dataset}/{model}/dimensions.tsv",
        terms="results/{dataset}/{model}/terms.tsv",
        labels="results/{dataset}/{model}/labels.tsv",
    params:
        fdr=config["enrichment"]["fdr"],
        labels=lambda wc: DATASETS[wc.dataset]["labels"],
    resources:
        mem_mb=memory(1000, per_input_mb=5),
        runtime=minutes(15),
    log:
        "logs/{dataset}/{model}/score_disentanglement.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/score_disentanglement.py"


rule score_factors:
    input:
        unpack(factor_inputs),
    output:
        metrics="results/{dataset}/{model}/factor_metrics.tsv",
        factors="results/{dataset}/{model}/factors.tsv",
        programs="results/{dataset}/{model}/programs.tsv",
    params:
        settings=dict(sorted(config["factor_metrics"].items())),
        labels=lambda wc: DATASETS[wc.dataset]["labels"],
        target_sum=lambda wc: preprocess_params(wc.dataset)["target_sum"],
    threads: 1
    resources:
        mem_mb=memory(2000, per_input_mb=10),
        runtime=minutes(60),
    log:
        "logs/{dataset}/{model}/score_factors.log",
    benchmark:
        "benchmarks/runs/{dataset}/{model}/score_factors.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/score_factors.py"
