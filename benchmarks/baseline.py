"""A commit of logprov, installed from git into a throwaway venv.

``git archive`` of the commit is unpacked and ``pip install``-ed (not editable, with the
``export`` extra) into a venv under the system's temporary directory
(``$TMPDIR/logprov-bench/baseline-<commit>``), which is reused while it holds that commit.
With ``compiled=True`` it is the compiled build (``LOGPROV_COMPILE=1``, in
``baseline-<commit>-compiled``).
"""

from __future__ import annotations

import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
from dataclasses import dataclass
from pathlib import Path

from .settings import TEMP_CACHE_DIR

__all__ = ["Baseline", "resolve", "ensure_baseline"]

ROOT = Path(__file__).resolve().parent.parent
GIT_TIMEOUT = 60.0
INSTALL_TIMEOUT = 1200.0


@dataclass(frozen=True)
class Baseline:
    """A commit of logprov and the interpreter of the venv it is installed in.

    Attributes
    ----------
    revision : str
        The revision asked for (``HEAD~1``, a branch, a commit).
    commit : str
        Its full commit id.
    summary : str
        Short commit id and subject line.
    python : str
        The venv's interpreter.
    how : str
        ``venv installed now`` or ``cached venv``.
    """

    revision: str
    commit: str
    summary: str
    python: str
    how: str


def _git(*args: str, repo: Path = ROOT, text: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=text, timeout=GIT_TIMEOUT)


def resolve(revision: str, repo: Path = ROOT) -> tuple[str, str]:
    """Return the commit id of ``revision`` in ``repo`` and its short id with subject line.

    Raises
    ------
    RuntimeError
        When ``repo`` is not a git checkout or ``revision`` names no commit.
    """
    try:
        found = _git("rev-parse", "--verify", "--quiet", f"{revision}^{{commit}}", repo=repo)
    except (OSError, subprocess.TimeoutExpired) as exc:
        raise RuntimeError(f"cannot run git in {repo}: {exc}") from None
    if found.returncode != 0:
        raise RuntimeError(f"--baseline {revision!r} names no commit of {repo}")
    commit = found.stdout.strip()
    summary = _git("log", "-1", "--format=%h %s", commit, repo=repo).stdout.strip()
    return commit, summary


def _unpack(commit: str, target: Path, repo: Path) -> None:
    archive = _git("archive", "--format=tar", commit, repo=repo, text=False)
    if archive.returncode != 0:
        raise RuntimeError(f"git archive {commit} failed: {archive.stderr.decode(errors='replace')[-300:]}")
    with tarfile.open(fileobj=io.BytesIO(archive.stdout)) as tar:
        tar.extractall(target, filter="data")


def ensure_baseline(revision: str, repo: Path = ROOT, *, compiled: bool = False) -> Baseline:
    """Return the `Baseline` of ``revision``, installing it first when its venv is not there.

    ``compiled`` installs the compiled build of the commit, which takes a few minutes more.

    Raises
    ------
    RuntimeError
        When the revision cannot be found, unpacked or installed (the message says which).
    """
    commit, summary = resolve(revision, repo)
    folder = Path(TEMP_CACHE_DIR) / f"baseline-{commit[:12]}{'-compiled' if compiled else ''}"
    python = folder / "venv" / "bin" / "python"
    marker = folder / "installed.json"
    if python.exists() and marker.exists() and json.loads(marker.read_text()).get("commit") == commit:
        return Baseline(revision, commit, summary, str(python), "cached venv")
    shutil.rmtree(folder, ignore_errors=True)
    source = folder / "source"
    source.mkdir(parents=True)
    _unpack(commit, source, repo)
    try:
        subprocess.run([sys.executable, "-m", "venv", str(folder / "venv")], check=True, capture_output=True,
                       timeout=INSTALL_TIMEOUT)
        done = subprocess.run([str(python), "-m", "pip", "install", "--disable-pip-version-check", "-q",
                               f"{source}[export]"], capture_output=True, text=True, timeout=INSTALL_TIMEOUT,
                              env=dict(os.environ, LOGPROV_COMPILE="1" if compiled else "0"))
    except subprocess.TimeoutExpired:
        raise RuntimeError(f"installing {summary} timed out after {INSTALL_TIMEOUT:.0f} s") from None
    except subprocess.CalledProcessError as exc:
        raise RuntimeError(f"python -m venv failed: {exc.stderr.decode(errors='replace')[-300:]}") from None
    if done.returncode != 0:
        lines = [line for line in done.stderr.splitlines() if "is ignored" not in line]
        raise RuntimeError(f"pip install of {summary} failed: " + " ".join(lines)[-400:])
    shutil.rmtree(source, ignore_errors=True)
    marker.write_text(json.dumps({"commit": commit, "summary": summary}))
    return Baseline(revision, commit, summary, str(python), "venv installed now")
