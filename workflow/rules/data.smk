# Inputs: fetch what is absent (the only rules that touch the network), then read and validate.
# A download rule exists only for a file that is absent, so a present (e.g. linked, read-only)
# input is never refetched or overwritten.


for _kind, _entries in (("dataset", DATASETS), ("gene_sets", LIBRARIES)):
    for _name, _entry in _entries.items():
        if is_generated(_entry) or not needs_download(_name, _entry):
            continue

        rule:
            name:
                f"download_{_kind}_{_name}"
            output:
                _entry["path"],
            params:
                entry=_entry,
                kind=_kind,
            resources:
                mem_mb=1000,
                runtime=30,
            log:
                f"logs/download/{_kind}_{_name}.log",
            localrule: True
            conda:
                "../../envs/pipeline.yaml"
            script:
                "../scripts/download.py"


rule simulate_dataset:
    output:
        counts="results/{dataset}/simulation/counts.h5ad",
        programs="results/{dataset}/simulation/programs.gmt",
    params:
        spec=lambda wc: DATASETS[wc.dataset]["simulate"],
    resources:
        mem_mb=memory(2000),
        runtime=minutes(30),
    log:
        "logs/{dataset}/simulate_dataset.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/simulate_dataset.py"


rule load_dataset:
    input:
        data=dataset_path,
        annotations=annotation_path,
    output:
        "results/{dataset}/raw.h5ad",
    params:
        reading=lambda wc: reading_params(wc.dataset),
    resources:
        mem_mb=memory(2000, per_input_mb=20),
        runtime=minutes(30),
    log:
        "logs/{dataset}/load_dataset.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/load_dataset.py"


# Checks of the data against the config, run first (high priority) so that a mismatch stops the
# workflow before training starts; only the rules that use what they check depend on them, so
# adding a library or a label column reruns that check and what follows it, never the models.
rule check_gene_sets:
    input:
        data="results/{dataset}/raw.h5ad",
        gmt=gmt_path,
    output:
        "results/{dataset}/checks/gene_sets_{library}.tsv",
    params:
        sizes={k: config["enrichment"][k] for k in ("min_size", "max_size")},
    priority: 100
    resources:
        mem_mb=memory(1000, per_input_mb=10),
        runtime=minutes(10),
    log:
        "logs/{dataset}/check_gene_sets_{library}.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/check_gene_sets.py"


rule check_labels:
    input:
        "results/{dataset}/raw.h5ad",
    output:
        "results/{dataset}/checks/labels.tsv",
    params:
        labels=lambda wc: DATASETS[wc.dataset]["labels"],
    priority: 100
    resources:
        mem_mb=memory(1000, per_input_mb=10),
        runtime=minutes(10),
    log:
        "logs/{dataset}/check_labels.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/check_labels.py"
