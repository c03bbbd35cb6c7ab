"""The batch job a process belongs to: read from the environment a batch system gives its jobs
(SLURM, PBS/Torque, LSF, HTCondor, Grid Engine), or given in the configuration (a UWS job URL,
any id)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from typing import Any

from ..errors import ConfigError
from .secrecy import SecrecyPolicy
from ..settings.yamldoc import suggest

__all__ = ["SYSTEMS", "JOB_KEYS", "batch_job", "checked_job", "current_job", "job_label", "file_label"]

#: The systems a job record names: the batch systems read from the environment, ``uws`` for a
#: job given by its URL in the configuration, ``config`` for any other job given there.
SYSTEMS = ("slurm", "pbs", "lsf", "htcondor", "sge", "uws", "config")
#: Keys of a job record, in the order they are written.
JOB_KEYS = ("system", "id", "array_job", "array_index", "name", "url", "global_id")
#: Keys a ``job`` entry of the configuration may hold.
CONFIG_KEYS = ("system", "id", "url", "name", "array_job", "array_index")
#: Largest job ad of HTCondor read (an ad is a few kilobytes).
JOB_AD_BYTES = 1 << 20

_AD_LINE = re.compile(r'^\s*(ClusterId|ProcId|GlobalJobId|JobBatchName)\s*=\s*"?(.*?)"?\s*$', re.MULTILINE)
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]")


def _value(environ: Mapping[str, str], *names: str) -> str | None:
    """The first of the variables ``names`` set to a non-empty value, or None."""
    for name in names:
        value = environ.get(name)
        if value:
            return value
    return None


def _job(system: str, **fields: str | None) -> dict:
    return {"system": system, **{key: value for key, value in fields.items() if value}}


def _slurm(environ: Mapping[str, str]) -> dict | None:
    job_id = _value(environ, "SLURM_JOB_ID", "SLURM_JOBID")
    if job_id is None:
        return None
    array_job, index = _value(environ, "SLURM_ARRAY_JOB_ID"), _value(environ, "SLURM_ARRAY_TASK_ID")
    return _job("slurm", id=job_id, array_job=array_job if index else None, array_index=index if array_job else None,
                name=_value(environ, "SLURM_JOB_NAME"))


def _pbs(environ: Mapping[str, str]) -> dict | None:
    job_id = _value(environ, "PBS_JOBID")
    if job_id is None:
        return None
    index = _value(environ, "PBS_ARRAY_INDEX", "PBS_ARRAYID")
    array_job = None
    if index is not None:
        array_job = re.sub(r"\[[^\]]*\]", "", _value(environ, "PBS_ARRAY_ID") or job_id)
    return _job("pbs", id=job_id, array_job=array_job, array_index=index, name=_value(environ, "PBS_JOBNAME"))


def _lsf(environ: Mapping[str, str]) -> dict | None:
    job_id = _value(environ, "LSB_JOBID")
    if job_id is None:
        return None
    index = _value(environ, "LSB_JOBINDEX")
    index = None if index == "0" else index
    return _job("lsf", id=job_id, array_job=job_id if index else None, array_index=index,
                name=_value(environ, "LSB_JOBNAME"))


def _job_ad(path: str) -> dict:
    """The ClusterId, ProcId, GlobalJobId and JobBatchName of an HTCondor job ad file."""
    try:
        with open(path, encoding="utf-8", errors="replace") as stream:
            text = stream.read(JOB_AD_BYTES)
    except (OSError, ValueError):
        return {}
    return {match.group(1): match.group(2) for match in _AD_LINE.finditer(text)}


def _htcondor(environ: Mapping[str, str]) -> dict | None:
    ad_path = _value(environ, "_CONDOR_JOB_AD")
    ad = _job_ad(ad_path) if ad_path else {}
    cluster, proc = ad.get("ClusterId"), ad.get("ProcId")
    job_id = f"{cluster}.{proc}" if cluster and proc else cluster or _value(environ, "CONDOR_ID")
    if job_id is None:
        return None
    return _job("htcondor", id=job_id, name=ad.get("JobBatchName"), global_id=ad.get("GlobalJobId"))


def _sge(environ: Mapping[str, str]) -> dict | None:
    job_id = _value(environ, "JOB_ID")
    if job_id is None or not _value(environ, "SGE_ROOT"):
        return None
    index = _value(environ, "SGE_TASK_ID")
    index = None if index == "undefined" else index
    return _job("sge", id=job_id, array_job=job_id if index else None, array_index=index,
                name=_value(environ, "JOB_NAME"))


_READERS = (_slurm, _pbs, _lsf, _htcondor, _sge)


def batch_job(environ: Mapping[str, str] | None = None) -> dict | None:
    """Return the batch job of the process, from the variables its batch system sets.

    Parameters
    ----------
    environ : mapping, optional
        The environment (by default `os.environ`).

    Returns
    -------
    dict or None
        ``{"system", "id"[, "array_job", "array_index"][, "name"][, "global_id"]}``: SLURM
        (``SLURM_JOB_ID``, ``SLURM_ARRAY_JOB_ID`` and ``SLURM_ARRAY_TASK_ID``,
        ``SLURM_JOB_NAME``), PBS/Torque (``PBS_JOBID``, ``PBS_ARRAY_INDEX`` or ``PBS_ARRAYID``,
        ``PBS_JOBNAME``), LSF (``LSB_JOBID``, ``LSB_JOBINDEX`` when not 0, ``LSB_JOBNAME``),
        HTCondor (``ClusterId.ProcId``, ``JobBatchName`` and ``GlobalJobId`` of the job ad
        named by ``_CONDOR_JOB_AD``, else ``CONDOR_ID``), Grid Engine (``JOB_ID`` with
        ``SGE_ROOT`` set, ``SGE_TASK_ID`` when not ``undefined``, ``JOB_NAME``); None outside a
        batch job.
    """
    environ = os.environ if environ is None else environ
    for reader in _READERS:
        found = reader(environ)
        if found is not None:
            return found
    return None


def checked_job(name: str, value: Any) -> dict | None:
    """Check the ``job`` entry of a configuration and return it as a job record.

    Parameters
    ----------
    name : str
        The configuration key (for messages).
    value : mapping or None
        ``{id: …}``, ``{url: …}`` or both, with optional ``system``, ``name``, ``array_job`` and
        ``array_index``; strings or integers.

    Returns
    -------
    dict or None
        The job, its ``system`` being ``uws`` when a URL is given and ``config`` otherwise,
        unless given.

    Raises
    ------
    ConfigError
        For a value that is not a mapping, an unknown key, an empty or non-text value, an
        unknown system, or neither ``id`` nor ``url``.
    """
    if value is None:
        return None
    if not isinstance(value, Mapping):
        raise ConfigError(f"expected a mapping with id or url, got {type(value).__name__} {value!r}", path=name)
    found: dict = {}
    for key, item in value.items():
        if key not in CONFIG_KEYS:
            raise ConfigError(f"unknown key {key!r}{suggest(str(key), CONFIG_KEYS)}; "
                              f"use {', '.join(CONFIG_KEYS)}", path=name)
        if isinstance(item, bool) or not isinstance(item, (str, int)) or item == "":
            raise ConfigError(f"{key}: expected a non-empty string, got {type(item).__name__} {item!r}",
                              path=name)
        found[key] = str(item)
    if "id" not in found and "url" not in found:
        raise ConfigError("a job needs an id or a url", path=name)
    system = found.setdefault("system", "uws" if "url" in found else "config")
    if system not in SYSTEMS:
        raise ConfigError(f"unknown job system {system!r}{suggest(system, SYSTEMS)}; use one of {', '.join(SYSTEMS)}",
                          path=name)
    return {key: found[key] for key in JOB_KEYS if key in found}


def current_job(configured: Mapping | None, secret: SecrecyPolicy | None = None,
                environ: Mapping[str, str] | None = None) -> dict | None:
    """Return the job of the process: the configured one, else the batch job of the environment.

    Texts go through ``secret`` (`SecrecyPolicy.redact_text`: the password of a URL, …). Never
    raises: a job that cannot be read is None.
    """
    try:
        job = dict(configured) if configured else batch_job(environ)
        if job is not None and secret is not None:
            job = {key: secret.redact_text(value) for key, value in job.items()}
        return job
    except Exception:
        return None


def job_label(job: Mapping | None) -> str:
    """Return how a job is usually written: ``<array job>_<index>`` for a task of an array
    (``123456_7``), else its id (or URL); empty without a job."""
    if not job:
        return ""
    if job.get("array_job") and job.get("array_index"):
        return f"{job['array_job']}_{job['array_index']}"
    return str(job.get("id") or job.get("url") or "")


def file_label(job: Mapping | None) -> str:
    """Return `job_label` made fit for a file name: characters other than letters, digits,
    ``.``, ``_`` and ``-`` replaced by ``_``."""
    return _UNSAFE.sub("_", job_label(job))
