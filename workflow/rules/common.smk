# Config validation (schema defaults filled in, then the constraints a schema cannot express)
# and input functions. No other logic.
import re
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


def needs_download(name, entry):
    """Whether `entry` (a dataset or library) is absent and fetched; absent without a url is an error.

    A download never writes outside the working directory (e.g. through a link to a shared,
    read-only resources folder).
    """
    path = Path(entry["path"])
    if path.exists():
        return False
    if "url" not in entry:
        raise ValueError(
            f"config.yaml: {name}: {path} does not exist and no `url` is given to fetch it. "
            "Fix the path (relative to the working directory), or add the public `url` of the file."
        )
    if not path.parent.resolve().is_relative_to(Path.cwd().resolve()) and path.parent.exists():
        raise ValueError(
            f"config.yaml: {name}: {path} is absent and its folder {path.parent.resolve()} lies outside the "
            "working directory (a linked resources folder?); the download rule will not write there. "
            "Fix: point `path` inside the working directory, or restore the file."
        )
    return True


for _name, _entry in [*DATASETS.items(), *LIBRARIES.items()]:
    needs_download(_name, _entry)

RUN_DATASETS = config.get("run_datasets", list(DATASETS))
for _name in RUN_DATASETS:
    if _name not in DATASETS:
        raise ValueError(f"config.yaml: run_datasets names {_name!r}, which is not under datasets: {list(DATASETS)}")
for _name, _entry in DATASETS.items():
    for _library in _entry.get("gene_set_libraries", []):
        if _library not in LIBRARIES:
            raise ValueError(
                f"config.yaml: dataset {_name} asks for gene-set library {_library!r}, which is not under "
                f"gene_set_libraries: {list(LIBRARIES)}"
            )


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    model="|".join(map(re.escape, MODELS)),
    library="|".join(map(re.escape, LIBRARIES)),


def reading_params(dataset):
    """The keys that decide how a dataset is read (others must not trigger a reload)."""
    entry = DATASETS[dataset]
    return {key: entry[key] for key in ("format", "gene_symbols", "values") if key in entry}


def preprocess_params(dataset):
    """A dataset's QC settings: top-level `preprocess` overridden by the dataset's own."""
    return dict(sorted({**config["preprocess"], **DATASETS[dataset].get("preprocess", {})}.items()))


# Params dicts are sorted by key: Snakemake compares them as written, so key order in a config
# file must not trigger a rerun.
def model_params(model):
    """A model's settings: `training` defaults overridden by the model's own keys."""
    return dict(sorted({**config["training"], **MODELS[model]}.items()))


def libraries_of(dataset):
    """The dataset's gene-set libraries: those it names, else all of its species."""
    entry = DATASETS[dataset]
    if "gene_set_libraries" in entry:
        return list(entry["gene_set_libraries"])
    return [name for name, lib in LIBRARIES.items() if lib["species"] == entry["species"]]


for _name in DATASETS:
    if not libraries_of(_name):
        logger.warning(
            f"config.yaml: dataset {_name} has no gene-set library (none of its species, or an empty "
            "gene_set_libraries); its dimensions will not be enriched or scored against gene sets"
        )


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
    """The summary and, per model, everything a user opens: kept as targets so that a deleted
    intermediate (a model killed mid-training) is rebuilt rather than silently missing."""
    per_model = ["model.pt", "specs.json", "losses.tsv", "latent.h5ad", "rankings.tsv", "disentanglement.tsv", "report"]
    targets = []
    for dataset in RUN_DATASETS:
        targets.append(f"results/{dataset}/summary.tsv")
        targets += expand("results/{dataset}/{model}/{file}", dataset=dataset, model=list(MODELS), file=per_model)
    return targets
