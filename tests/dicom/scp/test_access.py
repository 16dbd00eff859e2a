"""Which peers may connect."""

import pytest

from dicom.scp.access import PeerPolicy


@pytest.mark.parametrize(
    ("allowed", "address", "expected"),
    [
        ([], "203.0.113.9", True),
        (["10.1.2.3"], "10.1.2.3", True),
        (["10.1.2.3"], "10.1.2.4", False),
        (["10.1.2.0/24"], "10.1.2.200", True),
        (["10.1.2.0/24"], "::ffff:10.1.2.7", True),
        (["fd00::/8"], "fd00::1", True),
        (["10.1.2.0/24"], "not-an-address", False),
    ],
)
def test_peer_policy(allowed: list[str], address: str, expected: bool) -> None:
    assert PeerPolicy(allowed).allows(address) is expected
