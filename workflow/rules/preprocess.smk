rule preprocess:
    input:
        "results/{dataset}/raw.h5ad",
    output:
        "results/{dataset}/preprocessed.h5ad",
    params:
        settings=lambda wc: preprocess_params(wc.dataset),
        species=lambda wc: DATASETS[wc.dataset]["species"],
        values=lambda wc: DATASETS[wc.dataset]["values"],
    resources:
        mem_mb=memory(2000, per_input_mb=20),
        runtime=minutes(60),
    log:
        "logs/{dataset}/preprocess.log",
    benchmark:
        "benchmarks/runs/{dataset}/preprocess.tsv"
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/preprocess.py"
