"""A throwaway PostgreSQL cluster, for trying a store, the tests and the benchmarks: ``initdb``
and ``pg_ctl`` of the installed PostgreSQL run as an unprivileged user (the ``postgres`` user
when running as root), the server listening on a Unix socket in a temporary folder only, with
no network port and no password (``trust`` on that socket)."""

from __future__ import annotations

import glob
import os
import pwd
import shutil
import subprocess
import tempfile
from pathlib import Path
from typing import Optional

__all__ = ["Cluster", "binaries", "ADMIN", "PORT"]

#: The superuser of the cluster.
ADMIN = "logprov_admin"
#: The port number in the name of the socket (no TCP port is opened).
PORT = 54329


def binaries() -> Optional[Path]:
    """Return the folder of PostgreSQL's server programs, or None when none is installed."""
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    versions = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"),
                      key=lambda path: int(Path(path).parent.parent.name))
    return Path(versions[-1]).parent if versions else None


def _runner() -> list[str]:
    """Return the command prefix running a program as an unprivileged user: PostgreSQL's
    server refuses to run as root."""
    if os.geteuid() != 0:
        return []
    try:
        pwd.getpwnam("postgres")
    except KeyError:
        raise RuntimeError("running as root and there is no 'postgres' user to run the server as") from None
    return ["runuser", "-u", "postgres", "--"]


class Cluster:
    """A cluster in a temporary folder, started by `start` and removed by `stop`."""

    def __init__(self) -> None:
        """Choose the folder of the cluster (nothing is started yet)."""
        self.folder = Path(tempfile.mkdtemp(prefix="logprov-pg-"))
        self.data = self.folder / "data"
        self.socket = self.folder
        self.bin: Optional[Path] = None

    def _run(self, *command: str) -> None:
        done = subprocess.run([*_runner(), *command], capture_output=True, text=True, timeout=120)
        if done.returncode:
            raise RuntimeError(f"{Path(command[0]).name} failed: {(done.stderr or done.stdout).strip()[-800:]}")

    def start(self) -> None:
        """Create and start the cluster.

        Raises
        ------
        RuntimeError
            If PostgreSQL is not installed or the server does not start.
        """
        self.bin = binaries()
        if self.bin is None:
            raise RuntimeError("PostgreSQL's initdb is not installed (Debian: apt-get install postgresql)")
        if _runner():
            shutil.chown(self.folder, "postgres", "postgres")
        os.chmod(self.folder, 0o755)
        self._run(str(self.bin / "initdb"), "-D", str(self.data), "-U", ADMIN, "-A", "trust", "-E", "UTF8",
                  "--locale=C", "--no-sync")
        options = (f"-k {self.socket} -p {PORT} -c listen_addresses='' -c fsync=off "
                   "-c synchronous_commit=off -c full_page_writes=off")
        self._run(str(self.bin / "pg_ctl"), "-D", str(self.data), "-o", options, "-l",
                  str(self.folder / "server.log"), "-w", "-t", "60", "start")

    def url(self, database: str = "postgres", user: str = ADMIN) -> str:
        """Return the URL of ``database`` for ``user``, through the cluster's socket."""
        return f"postgresql://{user}@/{database}?host={self.socket}&port={PORT}"

    def stop(self) -> None:
        """Stop the server and remove the cluster."""
        if self.bin is not None and (self.data / "postmaster.pid").exists():
            subprocess.run([*_runner(), str(self.bin / "pg_ctl"), "-D", str(self.data), "-m", "immediate", "-w",
                            "stop"], capture_output=True, timeout=120)
        shutil.rmtree(self.folder, ignore_errors=True)
