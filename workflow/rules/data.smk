# Inputs: fetch what is absent (the only rules that touch the network), then read and validate.
# A download rule exists only for a file that is absent, so a present (e.g. linked, read-only)
# input is never refetched or overwritten.


for _kind, _entries in (("dataset", DATASETS), ("gene_sets", LIBRARIES)):
    for _name, _entry in _entries.items():
        if "url" not in _entry or Path(_entry["path"]).exists():
            continue

        rule:
            name:
                f"download_{_kind}_{_name}"
            output:
                _entry["path"],
            params:
                entry=_entry,
                kind=_kind,
            log:
                f"logs/download/{_kind}_{_name}.log",
            localrule: True
            conda:
                "../../envs/pipeline.yaml"
            script:
                "../scripts/download.py"


rule load_dataset:
    input:
        data=dataset_path,
        gene_sets=lambda wc: [LIBRARIES[name]["path"] for name in libraries_of(wc.dataset)],
    output:
        "results/{dataset}/raw.h5ad",
    params:
        dataset=lambda wc: DATASETS[wc.dataset],
    log:
        "logs/{dataset}/load_dataset.log",
    conda:
        "../../envs/pipeline.yaml"
    script:
        "../scripts/load_dataset.py"
