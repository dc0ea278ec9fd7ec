"""Every AnnData slot, column and file-column name the pipeline writes, defined once."""

# layers
COUNTS_LAYER = "counts"

# var columns
HVG = "highly_variable"
MITO = "mt"

# obs columns
PCT_MITO = "pct_counts_mt"

# uns entries
PREPROCESS_UNS = "preprocess"
LATENT_UNS = "latent"  # dict: model name, params, kl_per_dim, active, traversal settings
SIM_UNS = "simulation"  # dict: the simulator's spec and program names (simulated datasets)

# obsm / varm
LATENT_MEAN = "X_latent"  # posterior mean, cells x dims; `sc.pl.embedding(adata, basis="latent")`
LATENT_LOGVAR = "latent_logvar"  # posterior log-variance, cells x dims
TRAVERSAL_EFFECT = "latent_traversal"  # genes x dims: decoded log-expression, high pole minus low pole
DECODER_LOADINGS = "latent_loadings"  # genes x dims: weights of a linear decoder (LDVAE), when it has one
SIM_ACTIVITY = "simulated_activity"  # cells x programs (DataFrame): each true program's activity
SIM_LOADINGS = "simulated_loadings"  # genes x programs: log-fold change of each gene in each program
LATENT_UMAP = "X_umap"  # cells x 2: UMAP of the posterior means (scanpy's slot; `sc.pl.umap(adata)`)
LATENT_NEIGHBORS = "latent_neighbors"  # uns / obsp prefix of the kNN graph of the posterior means

# var columns of simulated datasets
SIM_BASELINE = "simulated_baseline"  # log relative expression of each gene before any program

# keys inside uns[LATENT_UNS] (and PARAMS also inside uns[PREPROCESS_UNS])
KL_PER_DIM = "kl_per_dim"
ACTIVE = "active"
ACTIVE_KL = "active_kl"  # the KL threshold (nats) above which a dimension is active
PARAMS = "params"
TRAVERSAL = "traversal"
# keys inside uns[LATENT_UNS][TRAVERSAL]
TRAVERSAL_POSITIONS = "positions"  # dims x steps: the values each dimension is moved to
TRAVERSAL_DECODED = "decoded"  # dims x steps x genes: decoded log-expression along each traversal

# var column of the original ids when gene names come from a symbol column
ORIGINAL_ID = "original_id"

# rankings.tsv columns
DIMENSION = "dimension"
GENE = "gene"
SCORE = "score"
RANK = "rank"

# enrichment/{library}.tsv columns
TERM = "term"
ES = "es"
NES = "nes"
PVAL = "pval"
FDR = "fdr"
LEADING_EDGE = "leading_edge"
OVERLAP = "overlap_size"
SET_SIZE = "set_size"
LIBRARY = "library"
ENRICHMENT_COLUMNS = [LIBRARY, DIMENSION, TERM, ES, NES, PVAL, FDR, LEADING_EDGE, OVERLAP, SET_SIZE]


def dim_name(k: int) -> str:
    """Name of latent dimension ``k`` as it appears in files and reports (``z0``, ``z1``, ...)."""
    return f"z{k}"
