"""pytest plugin for the stand-in runs (``-p tests.claims.few_ioi_prompts``): 20 IOI prompts
instead of ``N_PROMPTS``, set before ``claims/ioi/conftest.py`` imports it, so that every IOI
claim runs in seconds on a random-weight stand-in. Never used for a reported run."""

import catalog.prompts.ioi

catalog.prompts.ioi.N_PROMPTS = 20
