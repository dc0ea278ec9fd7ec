# Config validation (schema defaults filled in, then the constraints a schema cannot express)
# and the settings derived from it per dataset and model. Input functions are in inputs.smk.
import re
import sys
from pathlib import Path

from snakemake.utils import validate

# The library's checks run here too, so that a bad config stops before any job. A Snakemake
# without the pipeline's packages (rule environments from --sdm conda) leaves them to the jobs.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))
try:
    from disentangle.simulate import SimulationSpec
    from disentangle.specs import COUNT_LIKELIHOODS, OBJECTIVE_PARAMS, foreign_objective_keys
except ImportError:
    SimulationSpec = OBJECTIVE_PARAMS = None

# Before the schema, whose message for a key of another objective is only "... should not be valid under {}".
for _name, _model in (config.get("models") or {}).items():
    if OBJECTIVE_PARAMS is not None and isinstance(_model, dict) and _model.get("objective") in OBJECTIVE_PARAMS:
        _foreign = foreign_objective_keys(_model)
        if _foreign:
            raise ValueError(
                f"config.yaml: models.{_name}: {', '.join(_foreign)} {'is' if len(_foreign) == 1 else 'are'} not a key "
                f"of objective {_model['objective']!r} (its keys: {', '.join(OBJECTIVE_PARAMS[_model['objective']])}). "
                "Remove it, or set the objective it belongs to."
            )

# Dataset, model and library names become folders and files under results/: before the schema, whose
# message would only quote its pattern.
SAFE_NAME = re.compile(r"[A-Za-z0-9_][A-Za-z0-9_.-]*")
for _section in ("datasets", "models", "gene_set_libraries"):
    for _name in config.get(_section) or {}:
        if not SAFE_NAME.fullmatch(str(_name)):
            raise ValueError(
                f"config.yaml: {_section}: the name {str(_name)!r} cannot be used: names become folders and files "
                "under results/, so they may hold only letters, digits, '_', '.' and '-', and may not start with "
                "'.' or '-' (no slashes, '..' or spaces). Rename it, e.g. to "
                f"{re.sub(r'[^A-Za-z0-9_.-]', '_', str(_name)).lstrip('.-') or 'data1'!r}."
            )

# A model's folder sits beside the dataset's own outputs, and a library's enrichment table beside
# its overlap table: names that would land on those are taken.
DATASET_OUTPUTS = {"checks", "comparison", "simulation", "sweep", "raw.h5ad", "preprocessed.h5ad", "summary.tsv"}
for _name in config.get("models") or {}:
    if str(_name) in DATASET_OUTPUTS:
        raise ValueError(
            f"config.yaml: models: {_name!r} is the name of a dataset-level output under results/<dataset>/ "
            f"(taken: {', '.join(sorted(DATASET_OUTPUTS))}): rename the model"
        )
for _name in config.get("gene_set_libraries") or {}:
    if str(_name).endswith(".overlap"):
        raise ValueError(
            f"config.yaml: gene_set_libraries: {_name!r} ends in '.overlap', the name of another library's "
            "overlap table (enrichment/<library>.overlap.tsv): rename the library"
        )

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
SWEEP = config.get("sweep", {})


# A simulated dataset is written by rule simulate_dataset and read like any h5ad; its true gene
# programs become a gene-set library of its own, and its factors its labels.
SIMULATED = [name for name, entry in DATASETS.items() if "simulate" in entry]
# The simulator's own checks (programs fit in the genes, a valid correlation, ...): an impossible
# simulation stops before any job.
for _name in SIMULATED:
    _entry = DATASETS[_name]
    if SimulationSpec is not None:
        try:
            SimulationSpec.from_config(_entry["simulate"])
        except ValueError as error:
            raise ValueError(f"config.yaml: datasets.{_name}.simulate: {error}") from None
    _library = f"{_name}_programs"
    LIBRARIES[_library] = {"path": f"results/{_name}/simulation/programs.gmt", "species": "simulated", "source_format": "gmt"}
    _entry.update(path=f"results/{_name}/simulation/counts.h5ad", format="h5ad", species="simulated", values="counts")
    _entry["labels"] = _entry.get("labels") or list(_entry["simulate"]["factors"])
    _unknown = [label for label in _entry["labels"] if label not in _entry["simulate"]["factors"]]
    if _unknown:
        raise ValueError(
            f"config.yaml: datasets.{_name}.labels names {_unknown}, which are not factors of its simulation "
            f"{list(_entry['simulate']['factors'])}: list factors only, or leave labels out (all factors)"
        )
    _entry.setdefault("gene_set_libraries", [_library])


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


def is_generated(entry):
    """Whether the pipeline itself writes this input (a simulation and its programs)."""
    return entry["path"].startswith("results/")


for _name, _entry in [*DATASETS.items(), *LIBRARIES.items()]:
    if not is_generated(_entry):
        needs_download(_name, _entry)


# Keys that only some inputs take; their files must exist (they have no download rule).
for _name, _entry in DATASETS.items():
    if "orientation" in _entry and _entry["format"] not in ("csv", "tsv"):
        raise ValueError(
            f"config.yaml: datasets.{_name}.orientation applies to csv/tsv tables only, but the format is "
            f"{_entry['format']} (cells are obs there): remove the key"
        )
    _table = _entry.get("annotations", {}).get("path")
    if _table is not None and not Path(_table).is_file():
        raise ValueError(
            f"config.yaml: datasets.{_name}.annotations.path: {_table} does not exist (paths are relative to the "
            "working directory): correct the path"
        )


# The sweep's objective families: (list key, model name prefix, the objective's settings for one value).
SWEEP_FAMILIES = [
    ("betas", "beta", lambda v, sweep: {"objective": "beta", "beta": float(v)}),
    ("capacities", "capacity", lambda v, sweep: {"objective": "capacity", "gamma": float(sweep["gamma"]),
                                                 "capacity_max": float(v), "capacity_steps": sweep["capacity_steps"]}),
    ("tcvae_betas", "tcvae", lambda v, sweep: {"objective": "tcvae", "beta": float(v)}),
    ("factorvae_gammas", "factorvae", lambda v, sweep: {"objective": "factorvae", "gamma": float(v)}),
]


def sweep_models(sweep):
    """The models of a sweep, by name: every value of every objective family, at every seed."""
    models, training = {}, sweep["training"]
    for key in [family[0] for family in SWEEP_FAMILIES] + ["seeds"]:
        names = [f"{v:g}" for v in sweep[key]]
        if len(set(names)) < len(names):
            raise ValueError(f"config.yaml: sweep.{key} {sweep[key]} repeats a value (model names use 6 significant digits: {names})")
    for seed in sweep["seeds"]:
        for key, prefix, settings in SWEEP_FAMILIES:
            for value in sweep[key]:
                models[f"{prefix}{value:g}_seed{seed}"] = {**training, **settings(value, sweep), "seed": seed}
    return models


SWEEP_MODELS = sweep_models(SWEEP) if SWEEP.get("datasets") else {}
for _name in SWEEP_MODELS:
    if _name in MODELS:
        raise ValueError(f"config.yaml: model {_name!r} is both under models and generated by sweep; rename it under models")
for _name in SWEEP.get("datasets", []):
    if _name not in DATASETS:
        raise ValueError(f"config.yaml: sweep.datasets names {_name!r}, which is not under datasets: {list(DATASETS)}")
for _name, _entry in DATASETS.items():
    for _model in _entry.get("models", []):
        if _model not in MODELS:
            raise ValueError(f"config.yaml: dataset {_name} lists model {_model!r}, which is not under models: {list(MODELS)}")
ALL_MODELS = {**MODELS, **SWEEP_MODELS}


def sweep_of(dataset):
    """The sweep models of a dataset (empty when it is not swept)."""
    return list(SWEEP_MODELS) if dataset in SWEEP.get("datasets", []) else []


def models_of(dataset):
    """The models trained on a dataset: its `models` (default, all of `models`), then the sweep's."""
    return DATASETS[dataset].get("models", list(MODELS)) + sweep_of(dataset)


RUN_DATASETS = config.get("run_datasets", list(DATASETS))
if not RUN_DATASETS:
    raise ValueError("config.yaml: run_datasets is empty, so there is nothing to build: name datasets, or remove the key (all)")
for _name in RUN_DATASETS:
    if _name not in DATASETS:
        raise ValueError(f"config.yaml: run_datasets names {_name!r}, which is not under datasets: {list(DATASETS)}")
    if not models_of(_name):
        raise ValueError(
            f"config.yaml: dataset {_name} gets no model: its `models` list is empty and it is not in "
            f"sweep.datasets {SWEEP.get('datasets', [])} (or the sweep has no betas and no capacities). "
            "List models for it, add it to sweep.datasets, or leave it out of run_datasets."
        )
for _name, _entry in DATASETS.items():
    for _library in _entry.get("gene_set_libraries", []):
        if _library not in LIBRARIES:
            raise ValueError(
                f"config.yaml: dataset {_name} asks for gene-set library {_library!r}, which is not under "
                f"gene_set_libraries: {list(LIBRARIES)}"
            )


wildcard_constraints:
    dataset="|".join(map(re.escape, DATASETS)),
    model="|".join(map(re.escape, ALL_MODELS)),
    library="|".join(map(re.escape, LIBRARIES)),


def reading_params(dataset):
    """The keys that decide how a dataset is read (others must not trigger a reload)."""
    entry = DATASETS[dataset]
    return {key: entry[key] for key in ("format", "gene_symbols", "values", "orientation", "annotations") if key in entry}


# What a bulk dataset (samples, not cells) changes by default: no per-cell QC (a sample's share of
# mitochondrial counts is biology, not a broken cell) and, with tens to hundreds of samples, small
# minibatches over more epochs so that training takes thousands of steps, not a few hundred.
ASSAY_DEFAULTS = {
    "single_cell": {"preprocess": {}, "training": {}},
    "bulk": {"preprocess": {"min_genes": 0, "max_pct_mito": 100.0}, "training": {"batch_size": 16, "epochs": 1000}},
}


def preprocess_params(dataset):
    """A dataset's QC settings: top-level `preprocess`, its assay's defaults, then the dataset's own."""
    entry = DATASETS[dataset]
    return dict(sorted({**config["preprocess"], **ASSAY_DEFAULTS[entry["assay"]]["preprocess"],
                        **entry.get("preprocess", {})}.items()))


# Params dicts are sorted by key: Snakemake compares them as written, so key order in a config
# file must not trigger a rerun.
def model_params(model, dataset):
    """A model's settings on a dataset: `training`, the dataset's assay defaults, the dataset's
    `training`, then the model's own keys."""
    entry = DATASETS[dataset]
    return dict(sorted({**config["training"], **ASSAY_DEFAULTS[entry["assay"]]["training"],
                        **entry.get("training", {}), **ALL_MODELS[model]}.items()))


# Say where an assay's defaults replace the top-level settings (they apply whatever config.yaml says).
for _name in RUN_DATASETS:
    _entry = DATASETS[_name]
    for _section in ("preprocess", "training"):
        _replaced = {k: v for k, v in ASSAY_DEFAULTS[_entry["assay"]][_section].items()
                     if k not in _entry.get(_section, {}) and config[_section].get(k) != v}
        if _replaced:
            print(f"dataset {_name} (assay: {_entry['assay']}): "
                  + ", ".join(f"{k} {v} instead of {_section}.{k} {config[_section].get(k)}" for k, v in _replaced.items())
                  + f"; set datasets.{_name}.{_section} to choose", file=sys.stderr)


# A count likelihood on log-scale data is a config error: say so before the dataset is read.
for _name, _entry in DATASETS.items():
    for _model in models_of(_name):
        _likelihood = model_params(_model, _name)["likelihood"]
        if OBJECTIVE_PARAMS is not None and _likelihood in COUNT_LIKELIHOODS and _entry["values"] != "counts":
            if "likelihood" in ALL_MODELS[_model]:
                _where = f"model {_model} asks"
                _fix = f"set likelihood: gaussian (or auto) for {_model}, or give {_name} its own `models` list without it"
            elif "likelihood" in _entry.get("training", {}):
                _where = f"datasets.{_name}.training asks"
                _fix = f"set datasets.{_name}.training.likelihood to gaussian (or auto), or remove it"
            else:
                _where = f"training.likelihood asks (for model {_model})"
                _fix = f"set training.likelihood to auto, or set likelihood: gaussian in datasets.{_name}.training"
            raise ValueError(
                f"config.yaml: {_where} for likelihood {_likelihood}, which needs raw counts, but dataset "
                f"{_name} has values: {_entry['values']}. Fix: {_fix}."
            )


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
