# Input functions of the rules, the resources of their jobs (cluster execution) and the targets of
# rule all, from the settings of common.smk. No other logic.


def dataset_path(wildcards):
    return DATASETS[wildcards.dataset]["path"]


def annotation_path(wildcards):
    """The dataset's annotation table, if it has one (an input of load_dataset, so an edit reloads)."""
    entry = DATASETS[wildcards.dataset].get("annotations")
    return [entry["path"]] if entry else []


def gmt_path(wildcards):
    return LIBRARIES[wildcards.library]["path"]


def library_paths(wildcards):
    """The GMT files of the dataset's libraries, in libraries_of's order."""
    return [LIBRARIES[name]["path"] for name in libraries_of(wildcards.dataset)]


def enrichment_tables(wildcards):
    return expand(
        "results/{dataset}/{model}/enrichment/{library}.tsv",
        dataset=wildcards.dataset,
        model=wildcards.model,
        library=libraries_of(wildcards.dataset),
    )


def factor_inputs(wildcards):
    """score_factors reads the latent space and term table; on simulated data also the model and
    the simulation, to encode new cells with one factor fixed."""
    base = f"results/{wildcards.dataset}/{wildcards.model}"
    inputs = {"latent": f"{base}/latent.h5ad", "terms": f"{base}/terms.tsv",
              "labels_check": f"results/{wildcards.dataset}/checks/labels.tsv"}
    if wildcards.dataset in SIMULATED:
        inputs.update(model=f"{base}/model.pt", simulation=DATASETS[wildcards.dataset]["path"])
    return inputs


def model_outputs(pattern):
    """Input function: `pattern` for every model of the dataset."""

    def inputs(wildcards):
        return expand(pattern, dataset=wildcards.dataset, model=models_of(wildcards.dataset))

    return inputs



# Resources of a job, for cluster execution (profiles/slurm; `snakemake --cores` uses threads only).
# Memory grows with the size of the rule's input files (h5ad files are compressed, so a matrix takes
# several times its file size in memory) and doubles with each retry (`retries:` in the profile),
# so a job that ran out of memory gets more; a retry also gets more time. Override per rule with
# `--set-resources` (or `set-resources:` in a profile); the config holds no resources.
def memory(base_mb, per_input_mb=0):
    """mem_mb: ``base_mb`` plus ``per_input_mb`` per MB of input, times the attempt."""

    def mem_mb(wildcards, input, attempt):
        return int((base_mb + per_input_mb * input.size_mb) * attempt)

    return mem_mb


def minutes(base):
    """runtime in minutes: ``base``, times the attempt."""

    def runtime(wildcards, attempt):
        return base * attempt

    return runtime


def gpus(wildcards):
    """gpu (the slurm plugin's resource, ``--gpus``): 1 when the model trains with `device: cuda`, else 0."""
    return int(model_params(wildcards.model, wildcards.dataset)["device"] == "cuda")


SWEEP_OUTPUTS = ["models.tsv", "summary.tsv", "metrics.png"]


def all_targets():
    """The summary, the comparison page and, per model, everything a user opens: kept as targets so that a deleted
    intermediate (a model killed mid-training) is rebuilt rather than silently missing."""
    per_model = ["model.pt", "specs.json", "losses.tsv", "training.png", "latent.h5ad", "rankings.tsv", "disentanglement.tsv",
                 "factor_metrics.tsv", "report"]
    targets = []
    for dataset in RUN_DATASETS:
        targets += [f"results/{dataset}/summary.tsv", f"results/{dataset}/comparison"]
        targets += expand("results/{dataset}/{model}/{file}", dataset=dataset, model=models_of(dataset), file=per_model)
        if sweep_of(dataset):
            targets += expand("results/{dataset}/sweep/{file}", dataset=dataset, file=SWEEP_OUTPUTS)
    return targets
