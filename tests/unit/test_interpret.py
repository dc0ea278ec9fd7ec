"""Latent traversals recover a planted decoder pattern; rankings are deterministic and tie-free."""

import numpy as np
import pandas as pd
import pytest
import torch
from torch import nn

from disentangle import keys, vae
from disentangle.interpret import traversal_effects
from disentangle.rankings import rank_genes, ranking_matrix


def _planted_model():
    """A decoder whose dimension 1 raises genes 0-9 and lowers genes 10-19; dims 0 and 2 do nothing."""
    model = vae.BetaVAE(vae.Architecture(n_input=40, n_latent=3, n_hidden=8))
    weights = torch.zeros(40, 3)
    weights[:10, 1], weights[10:20, 1] = 1.5, -1.5
    model.decoder.body = nn.Identity()
    model.decoder.out = nn.Linear(3, 40)
    with torch.no_grad():
        model.decoder.out.weight.copy_(weights)
        model.decoder.out.bias.zero_()
    return model.eval()


def test_traversal_recovers_planted_decoder_pattern():
    latent_mean = np.random.default_rng(0).normal(size=(500, 3))
    effects, reference, ranges = traversal_effects(_planted_model(), latent_mean, quantiles=(0.05, 0.95))
    assert effects.shape == (40, 3)
    np.testing.assert_allclose(reference, np.median(latent_mean, axis=0))
    np.testing.assert_allclose(ranges[:, 0], np.quantile(latent_mean, 0.05, axis=0))
    assert np.abs(effects[:, [0, 2]]).max() < 1e-6
    assert (effects[:10, 1] > 0.5).all() and (effects[10:20, 1] < -0.5).all()
    assert np.abs(effects[20:, 1]).max() < np.abs(effects[:20, 1]).min()

    genes = [f"G{i:02d}" for i in range(40)]
    rankings = rank_genes(effects, genes)
    dim1 = rankings[rankings[keys.DIMENSION] == "z1"].sort_values(keys.RANK)
    assert set(dim1[keys.GENE].iloc[:10]) == set(genes[:10])  # high pole
    assert set(dim1[keys.GENE].iloc[-10:]) == set(genes[10:20])  # low pole


def test_rank_genes_breaks_ties_by_name_and_rejects_duplicates():
    effects = np.array([[0.0], [1.0], [0.0], [0.0]])
    rankings = rank_genes(effects, ["b", "z", "a", "c"])
    assert rankings[keys.GENE].tolist() == ["z", "a", "b", "c"]
    assert rankings[keys.RANK].tolist() == [1, 2, 3, 4]
    with pytest.raises(ValueError, match="unique"):
        rank_genes(effects, ["a", "a", "b", "c"])


def test_ranking_matrix_is_strictly_decreasing_in_rank_order():
    effects = np.array([[0.0, 2.0], [0.0, 2.0], [0.0, 1.0], [-1.0, 1.0]])
    rankings = rank_genes(effects, ["d", "c", "b", "a"])
    matrix = ranking_matrix(rankings)
    for dim in matrix:
        ordered = rankings[rankings[keys.DIMENSION] == dim].sort_values(keys.RANK)[keys.GENE]
        values = matrix.loc[ordered, dim].to_numpy()
        assert (np.diff(values) < 0).all()
        # re-sorting by value (what gseapy does) gives back the deterministic order
        assert matrix[dim].sort_values(ascending=False).index.tolist() == ordered.tolist()
    assert matrix.loc["b", "z0"] == pytest.approx(0.0, abs=1e-12)
    assert isinstance(matrix, pd.DataFrame) and list(matrix.columns) == ["z0", "z1"]
