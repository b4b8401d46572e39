"""The web server against an attack pass (issue 16): the store's one-writer rule while the
server reads, seeds that fit JSON, slow clients, and answers that say neither too little nor
too much."""

from __future__ import annotations

import subprocess
import sys

import pytest

from detente.events.store import Store
from detente.web.access import StoreAccess

# Another process: on each line of input, tries to open the store for writing and write.
WRITER = """
import sys
from detente.errors import StoreLockedError
from detente.events.store import Store
for n, _ in enumerate(sys.stdin):
    try:
        with Store(sys.argv[1]) as store:
            store.declare_actor(f"ZZ{n}")
    except StoreLockedError:
        print("locked", flush=True)
    else:
        print("wrote", flush=True)
"""


@pytest.fixture
def other_writer(store_path):
    proc = subprocess.Popen([sys.executable, "-c", WRITER, str(store_path)], text=True,
                            stdin=subprocess.PIPE, stdout=subprocess.PIPE)

    def attempt() -> str:
        proc.stdin.write("go\n")
        proc.stdin.flush()
        return proc.stdout.readline().strip()

    yield attempt
    proc.kill()
    proc.wait()


def test_the_store_signature_keeps_the_lock_of_an_open_reader(store_path, other_writer):
    # A POSIX close() of any descriptor of a file drops every lock the process holds on it:
    # the signature must not open the store file while a request reads it through DuckDB.
    Store(store_path, empty=True).close()
    access = StoreAccess(store_path, wait=0)
    with access.read():
        assert other_writer() == "locked"
        before = access.signature()
        assert other_writer() == "locked"
        assert access.signature() == before
    assert other_writer() == "wrote"
    assert access.signature() != before  # that process's write (a checkpoint) is seen
