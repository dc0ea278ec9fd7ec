rule train_vae:
    input:
        "results/{dataset}/preprocessed.h5ad",
    output:
        model="results/{dataset}/{model}/model.pt",
        specs="results/{dataset}/{model}/specs.json",
        losses="results/{dataset}/{model}/losses.tsv",
    params:
        settings=lambda wc: {**model_params(wc.model, wc.dataset), "active_kl": config["traversal"]["active_kl"]},
        values=lambda wc: DATASETS[wc.dataset]["values"],
        # not an output: it outlives a killed job, and a rerun resumes from it (removed on success)
        checkpoint="results/{dataset}/{model}/training_state.pt",
    threads: 1
    resources:
        mem_mb=memory(2000, per_input_mb=20),
        runtime=minutes(240),
        gpu=gpus,
    log:
        "logs/{dataset}/{model}/train_vae.log",
    benchmark:
        "benchmarks/runs/{dataset}/{model}/train_vae.tsv"
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/train_vae.py"


rule plot_training:
    input:
        losses="results/{dataset}/{model}/losses.tsv",
        specs="results/{dataset}/{model}/specs.json",
    output:
        report(
            "results/{dataset}/{model}/training.png",
            caption="../report/training.rst",
            category="Training",
            subcategory="{dataset}",
            labels={"model": "{model}", "figure": "training curves"},
        ),
    resources:
        mem_mb=memory(1000),
        runtime=minutes(10),
    log:
        "logs/{dataset}/{model}/plot_training.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/plot_training.py"


rule export_latent:
    input:
        data="results/{dataset}/preprocessed.h5ad",
        model="results/{dataset}/{model}/model.pt",
        specs="results/{dataset}/{model}/specs.json",
    output:
        "results/{dataset}/{model}/latent.h5ad",
    params:
        traversal=dict(sorted(config["traversal"].items())),
        umap=dict(sorted(config["umap"].items())),
    resources:
        mem_mb=memory(2000, per_input_mb=20),
        runtime=minutes(60),
    log:
        "logs/{dataset}/{model}/export_latent.log",
    conda:
        "../../envs/model.yaml"
    script:
        "../scripts/export_latent.py"
