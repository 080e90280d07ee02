"""The embedded sandbox: a moto EC2 server on 127.0.0.1, in this process, no AWS account.

netmend talks to it over HTTP exactly as it talks to AWS (``--endpoint-url``), so the demo
exercises the real client path. Credentials are moto's dummies, set only for this process.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterator
from contextlib import contextmanager

from moto.server import ThreadedMotoServer

__all__ = ["SANDBOX_REGION", "sandbox_endpoint"]

SANDBOX_REGION = "us-east-1"

_DUMMY_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",  # moto's dummy credential
    "AWS_SESSION_TOKEN": "testing",
    "AWS_EC2_METADATA_DISABLED": "true",
}


@contextmanager
def sandbox_endpoint() -> Iterator[str]:
    """Start moto on a free loopback port; yield its endpoint URL; stop it afterwards.

    Real AWS settings in the environment (profile, endpoint) are hidden for the duration
    so that nothing the demo does can reach an account.
    """
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
    saved = {k: os.environ.get(k) for k in (*_DUMMY_ENV, "AWS_PROFILE", "AWS_ENDPOINT_URL")}
    os.environ.update(_DUMMY_ENV)
    os.environ.pop("AWS_PROFILE", None)
    os.environ.pop("AWS_ENDPOINT_URL", None)
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield f"http://{host}:{port}"
    finally:
        server.stop()
        for key, value in saved.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
