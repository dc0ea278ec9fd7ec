rule train_vae:
    input:
        "results/{dataset}/preprocessed.h5ad",
    output:
        model="results/{dataset}/{model}/model.pt",
        specs="results/{dataset}/{model}/specs.json",
        losses="results/{dataset}/{model}/losses.tsv",
    params:
        settings=lambda wc: model_params(wc.model),
        values=lambda wc: DATASETS[wc.dataset]["values"],
    threads: 1
    log:
        "logs/{dataset}/{model}/train_vae.log",
    benchmark:
        "benchmarks/runs/{dataset}/{model}/train_vae.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/train_vae.py"


rule export_latent:
    input:
        data="results/{dataset}/preprocessed.h5ad",
        model="results/{dataset}/{model}/model.pt",
        specs="results/{dataset}/{model}/specs.json",
    output:
        "results/{dataset}/{model}/latent.h5ad",
    params:
        traversal=dict(sorted(config["traversal"].items())),
    log:
        "logs/{dataset}/{model}/export_latent.log",
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/export_latent.py"
