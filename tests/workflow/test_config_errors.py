"""Config errors give a clear message before any work (bad-inputs case 20_snakemake_config_errors).

Each faulty config.yaml makes `snakemake -n` exit non-zero while parsing (no DAG built, nothing
written) with a message that names the offending key. Snakemake 9 prints its error report on
stdout, so the checks read stdout and stderr together. A label column absent from the data can
only be seen in the data: check_labels, right after reading, fails naming the column and the file.
"""

from __future__ import annotations

import copy

import pytest

from smk_helpers import base_config, output_of, run_snakemake, tail, write_config

pytestmark = [pytest.mark.workflow, pytest.mark.realdata]


def _drop(path):
    def mutate(config):
        *parents, key = path
        node = config
        for p in parents:
            node = node[p]
        del node[key]
    return mutate


def _set(path, value):
    def mutate(config):
        *parents, key = path
        node = config
        for p in parents:
            node = node.setdefault(p, {})
        node[key] = value
    return mutate


def _both(*mutations):
    def mutate(config):
        for m in mutations:
            m(config)
    return mutate


def _rename(section, old, new):
    def mutate(config):
        config[section][new] = config[section].pop(old)
    return mutate


def _simulated(spec, **entry):
    """The dataset made a simulation (no path, format or species): only ``spec`` (or ``entry``) can be wrong."""
    def mutate(config):
        config["datasets"]["tiny"] = {"simulate": spec, **entry}
    return mutate


# (id, change to a valid config, strings the message must contain)
CASES = [
    ("dataset_without_path", _drop(["datasets", "tiny", "path"]),
     ["'path' is a required property", "On instance['datasets']['tiny']"]),
    ("models_missing", _drop(["models"]),
     ["'models' is a required property"]),
    ("epochs_not_a_number", _set(["training", "epochs"], "ten"),
     ["'ten' is not of type 'integer'", "On instance['training']['epochs']"]),
    ("model_epochs_not_a_number", _set(["models", "beta1", "epochs"], "ten"),
     ["'ten' is not of type 'integer'", "On instance['models']['beta1']['epochs']"]),
    ("typo_n_latnet_in_training", _set(["training", "n_latnet"], 4),
     ["Unevaluated properties are not allowed ('n_latnet' was unexpected)", "On instance['training']"]),
    ("typo_n_latnet_in_a_model", _set(["models", "beta1", "n_latnet"], 4),
     ["Unevaluated properties are not allowed ('n_latnet' was unexpected)", "On instance['models']['beta1']"]),
    ("typo_top_level_key", _set(["trainig"], {"epochs": 3}),
     ["Additional properties are not allowed ('trainig' was unexpected)"]),
    ("capacity_without_capacity_max", _drop(["models", "capacity", "capacity_max"]),
     ["'capacity_max' is a required property", "On instance['models']['capacity']"]),
    ("beta_model_without_beta", _drop(["models", "beta1", "beta"]),
     ["'beta' is a required property", "On instance['models']['beta1']"]),
    ("unknown_objective", _set(["models", "beta1", "objective"], "betaa"),
     ["'betaa' is not one of ['beta', 'capacity', 'tcvae', 'factorvae']", "On instance['models']['beta1']['objective']"]),
    ("gamma_on_a_beta_model", _set(["models", "beta1", "gamma"], 50.0),
     ["models.beta1: gamma is not a key of objective 'beta' (its keys: beta)"]),
    ("capacity_with_zero_gamma", _set(["models", "capacity", "gamma"], 0.0),
     ["0.0 is less than or equal to the minimum of 0", "On instance['models']['capacity']['gamma']"]),
    ("count_likelihood_on_log_data", _both(_set(["datasets", "tiny", "values"], "log_expression"),
                                           _set(["models", "beta1", "likelihood"], "poisson")),
     ["model beta1 asks for likelihood poisson, which needs raw counts, but dataset tiny has values: log_expression"]),
    ("count_likelihood_in_the_datasets_training", _both(_set(["datasets", "tiny", "values"], "log_expression"),
                                                        _set(["datasets", "tiny", "training"], {"likelihood": "nb"})),
     ["datasets.tiny.training asks for likelihood nb", "set datasets.tiny.training.likelihood to gaussian"]),
    ("model_named_like_a_dataset_output", _rename("models", "beta1", "checks"),
     ["config.yaml: models: 'checks' is the name of a dataset-level output"]),
    ("library_named_like_an_overlap_table", _set(["gene_set_libraries", "panglaodb.overlap"], {"path": "x.gmt", "species": "human"}),
     ["'panglaodb.overlap' ends in '.overlap'"]),
    ("tcvae_without_beta", _set(["models", "tc"], {"objective": "tcvae", "gamma": 1.0}),
     ["'beta' is a required property", "On instance['models']['tc']"]),
    ("factorvae_with_capacity", _set(["models", "fv"], {"objective": "factorvae", "gamma": 5.0, "capacity_max": 3}),
     ["models.fv: capacity_max is not a key of objective 'factorvae'"]),
    ("unknown_tc_estimator", _set(["models", "tc"], {"objective": "tcvae", "beta": 6.0, "tc_estimator": "exact"}),
     ["'exact' is not one of ['mws', 'mss']", "On instance['models']['tc']['tc_estimator']"]),
    ("unknown_likelihood", _set(["training", "likelihood"], "zip"),
     ["'zip' is not one of ['auto', 'gaussian', 'poisson', 'nb', 'zinb']", "On instance['training']['likelihood']"]),
    ("warmup_beyond_the_run", _set(["training", "kl_warmup"], 1.5),
     ["1.5 is greater than the maximum of 1", "On instance['training']['kl_warmup']"]),
    ("unknown_norm", _set(["models", "beta1", "norm"], "group"),
     ["'group' is not one of ['layer', 'batch', 'none']", "On instance['models']['beta1']['norm']"]),
    ("unknown_device", _set(["training", "device"], "tpu"),
     ["'tpu' is not one of ['cpu', 'cuda']", "On instance['training']['device']"]),
    ("seed_in_sweep_training", _set(["sweep"], {"datasets": ["tiny"], "training": {"seed": 3}}),
     ["3 should not be valid under {}", "On instance['sweep']['training']['seed']"]),
    ("beta_four", _set(["models", "beta1", "beta"], "four"),
     ["'four' is not of type 'number'", "On instance['models']['beta1']['beta']"]),
    ("batch_size_string", _set(["training", "batch_size"], "128"),
     ["'128' is not of type 'integer'", "On instance['training']['batch_size']"]),
    ("n_latent_fraction", _set(["training", "n_latent"], 10.5),
     ["10.5 is not of type 'integer'", "On instance['training']['n_latent']"]),
    ("min_size_negative", _set(["enrichment", "min_size"], -3),
     ["-3 is less than the minimum of 1", "On instance['enrichment']['min_size']"]),
    ("labels_not_a_list", _set(["datasets", "tiny", "labels"], "cell_type"),
     ["'cell_type' is not of type 'array'", "On instance['datasets']['tiny']['labels']"]),
    ("unknown_format", _set(["datasets", "tiny", "format"], "loom"),
     ["'loom' is not one of", "On instance['datasets']['tiny']['format']"]),
    ("bad_sha256", _set(["datasets", "tiny", "sha256"], "abc"),
     ["'abc' does not match", "On instance['datasets']['tiny']['sha256']"]),
    ("simulated_dataset_with_a_path", _set(["datasets", "tiny", "simulate"], {"factors": {"dose": {"kind": "continuous"}}}),
     ["a simulated dataset is written by the pipeline: no", "On instance['datasets']['tiny']['path']"]),
    ("simulated_factor_of_unknown_kind", _simulated({"factors": {"dose": {"kind": "ordinal"}}}),
     ["'ordinal' is not one of ['categorical', 'continuous', 'cyclic']"]),
    # constraints between keys, checked in common.smk after the schema
    ("simulation_programs_do_not_fit", _simulated({"n_genes": 20, "program_size": 30, "factors": {"dose": {"kind": "continuous"}}}),
     ["config.yaml: datasets.tiny.simulate: 1 programs of 30 genes do not fit in 20 genes: raise n_genes or lower program_size"]),
    ("simulation_correlation_with_itself", _simulated({"factors": {"dose": {"kind": "continuous"}}, "correlations": [["dose", "dose", 0.5]]}),
     ["datasets.tiny.simulate: correlation [dose, dose, 0.5] pairs a factor with itself"]),
    ("simulated_label_not_a_factor", _simulated({"factors": {"dose": {"kind": "continuous"}}}, labels=["dosage"]),
     ["datasets.tiny.labels names ['dosage'], which are not factors of its simulation ['dose']"]),
    ("run_datasets_empty", _set(["run_datasets"], []), ["run_datasets is empty, so there is nothing to build"]),
    ("dataset_without_models", _set(["datasets", "tiny", "models"], []),
     ["dataset tiny gets no model: its `models` list is empty"]),
    ("sweep_betas_equal_as_names", _set(["sweep"], {"datasets": ["tiny"], "betas": [1, 1.0000001]}),
     ["sweep.betas [1, 1.0000001] repeats a value"]),
    ("quantiles_reversed", _set(["traversal", "quantiles"], [0.98, 0.02]),
     ["traversal.quantiles must be [low, high] with low < high, got [0.98, 0.02]"]),
    ("min_size_above_max_size", _set(["enrichment", "max_size"], 3),
     ["enrichment.min_size (5) is larger than enrichment.max_size (3)"]),
    # names become paths under results/: nothing that could leave it
    ("dataset_named_dotdot", _rename("datasets", "tiny", ".."),
     ["config.yaml: datasets: the name '..' cannot be used", "may not start with '.' or '-'"]),
    ("model_name_with_a_slash", _rename("models", "beta1", "../../beta1"),
     ["config.yaml: models: the name '../../beta1' cannot be used", "Rename it, e.g. to '_.._beta1'"]),
    ("library_name_with_a_space", _rename("gene_set_libraries", "panglaodb", "pangl aodb"),
     ["config.yaml: gene_set_libraries: the name 'pangl aodb' cannot be used"]),
    ("orientation_on_an_h5ad", _set(["datasets", "tiny", "orientation"], "genes_as_rows"),
     ["datasets.tiny.orientation applies to csv/tsv tables only, but the format is h5ad"]),
    ("annotation_table_missing", _set(["datasets", "tiny", "annotations"], {"path": "cells.csv"}),
     ["datasets.tiny.annotations.path: cells.csv does not exist"]),
    ("annotations_without_a_path", _set(["datasets", "tiny", "annotations"], {"id_column": "barcode"}),
     ["'path' is a required property", "On instance['datasets']['tiny']['annotations']"]),
]


def test_the_base_config_is_valid(tmp_path, tiny_h5ad):
    """The starting point of every case plans the whole pipeline: each case's failure is its own."""
    write_config(tmp_path, base_config(tiny_h5ad))
    proc = run_snakemake(tmp_path, "-n")
    assert proc.returncode == 0, tail(proc)
    assert "Job stats" in output_of(proc)


@pytest.mark.parametrize("mutate, expected", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_config_error_is_named_before_any_work(tmp_path, tiny_h5ad, mutate, expected):
    config = copy.deepcopy(base_config(tiny_h5ad))
    mutate(config)
    write_config(tmp_path, config)
    proc = run_snakemake(tmp_path, "-n")
    text = output_of(proc)
    assert proc.returncode != 0, tail(proc)
    for fragment in expected:
        assert fragment in text, f"{fragment!r} not in:\n{tail(proc, 30)}"
    assert "Building DAG of jobs" not in text  # rejected while parsing, before planning
    assert "Traceback" not in text
    assert sorted(p.name for p in tmp_path.iterdir()) in (["config.yaml"], [".snakemake", "config.yaml"])


def test_missing_label_column_fails_in_check_labels(tmp_path, tiny_h5ad):
    write_config(tmp_path, base_config(tiny_h5ad, labels=["cell_type", "cell_typo"]))
    proc = run_snakemake(tmp_path, "--cores", "2")
    text = output_of(proc)
    assert proc.returncode != 0, tail(proc)
    failed_rules = {line.split("Error in rule ")[1].rstrip(":") for line in text.splitlines() if "Error in rule " in line}
    assert failed_rules == {"check_labels"}
    log = (tmp_path / "logs/tiny/check_labels.log").read_text()
    assert "cell_typo" in log
    assert "raw.h5ad" in log
    assert "cell_type" in log  # what obs does have
    assert not (tmp_path / "results/tiny/checks/labels.tsv").exists()
    # the check runs first (priority) and stops the run before any training
    assert not list(tmp_path.glob("results/**/model.pt"))
