"""``ray start`` kept on 127.0.0.1, for the cluster test and the batch benchmark.

Ray rewrites a loopback ``--node-ip-address`` / ``--address`` to the machine's
network address (so other machines can reach the node). A test cluster must
stay on loopback, so this runs Ray's own CLI with that rewrite disabled:

    python tests/ray_loopback.py start --head --port=P --node-ip-address=127.0.0.1 ...

On a real cluster, run ``ray start`` itself with the machines' addresses.
"""

from __future__ import annotations

import sys

import ray._private.services as services

services.resolve_ip_for_localhost = lambda host: host  # keep 127.0.0.1 as given

from ray.scripts.scripts import main  # noqa: E402

if __name__ == "__main__":
    sys.argv[0] = "ray"
    sys.exit(main())
