"""The environment of a process outside any batch job, with the variables of one added."""

from __future__ import annotations

import os

#: Variables of every batch system logprov reads.
BATCH_VARIABLES = (
    "SLURM_JOB_ID", "SLURM_JOBID", "SLURM_ARRAY_JOB_ID", "SLURM_ARRAY_TASK_ID", "SLURM_JOB_NAME",
    "PBS_JOBID", "PBS_ARRAYID", "PBS_ARRAY_INDEX", "PBS_ARRAY_ID", "PBS_JOBNAME",
    "LSB_JOBID", "LSB_JOBINDEX", "LSB_JOBNAME", "_CONDOR_JOB_AD", "CONDOR_ID",
    "JOB_ID", "SGE_TASK_ID", "JOB_NAME", "SGE_ROOT",
)


def outside_batch_jobs(**variables: str) -> dict:
    """Return the environment of this process without the batch variables, plus ``variables``."""
    found = {key: value for key, value in os.environ.items() if key not in BATCH_VARIABLES}
    found.update(variables)
    return found
