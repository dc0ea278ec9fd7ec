# Inputs: fetch what is absent (the only rules that touch the network), then read and validate.
# A download rule exists only for a file that is absent, so a present (e.g. linked, read-only)
# input is never refetched or overwritten.


for _name, _entry in [*DATASETS.items(), *LIBRARIES.items()]:
    if "url" in _entry and not Path(_entry["path"]).exists():

        rule:
            name:
                f"download_{_name}"
            output:
                _entry["path"],
            params:
                url=_entry["url"],
                sha256=_entry.get("sha256"),
            log:
                f"logs/download/{_name}.log",
            localrule: True
            conda:
                "../../envs/pipeline.yaml"
            script:
                "../scripts/download.py"


rule load_dataset:
    input:
        dataset_path,
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
