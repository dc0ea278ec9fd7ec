import re

# Config validation (defaults filled in from the schema) and input functions. No other logic.
from pathlib import Path

from snakemake.utils import validate


validate(config, schema="../schemas/config.schema.yaml")


# Constraints between keys that the schema cannot express, checked before any job runs.
if not config["traversal"]["quantiles"][0] < config["traversal"]["quantiles"][1]:
    raise ValueError(
        f"config.yaml: traversal.quantiles must be [low, high] with low < high, got {config['traversal']['quantiles']}"
    )
if config["enrichment"]["min_size"] > config["enrichment"]["max_size"]:
    raise ValueError(
        f"config.yaml: enrichment.min_size ({config['enrichment']['min_size']}) is larger than "
        f"enrichment.max_size ({config['enrichment']['max_size']}): no gene set could be tested"
    )

DATASETS = config["datasets"]
MODELS = config["models"]
LIBRARIES = config["gene_set_libraries"]


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)) if DATASETS else "^$",
    model="|".join(map(re.escape, MODELS)) if MODELS else "^$",
    library="|".join(map(re.escape, LIBRARIES)) if LIBRARIES else "^$",


def model_params(model):
    """A model's settings: `training` defaults overridden by the model's own keys."""
    return {**config["training"], **MODELS[model]}


def libraries_of(dataset):
    """Gene-set libraries of the dataset's species."""
    species = DATASETS[dataset]["species"]
    return [name for name, lib in LIBRARIES.items() if lib["species"] == species]


def dataset_path(wildcards):
    return DATASETS[wildcards.dataset]["path"]


def gmt_path(wildcards):
    return LIBRARIES[wildcards.library]["path"]


def enrichment_tables(wildcards):
    return expand(
        "results/{dataset}/{model}/enrichment/{library}.tsv",
        dataset=wildcards.dataset,
        model=wildcards.model,
        library=libraries_of(wildcards.dataset),
    )


def model_outputs(pattern):
    """Input function: `pattern` for every model of the dataset."""

    def inputs(wildcards):
        return expand(pattern, dataset=wildcards.dataset, model=list(MODELS))

    return inputs


def all_targets():
    targets = []
    for dataset in DATASETS:
        targets.append(f"results/{dataset}/summary.tsv")
        targets += expand("results/{dataset}/{model}/report", dataset=dataset, model=list(MODELS))
    return targets
