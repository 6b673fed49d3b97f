"""decode.loads decodes as json.loads does, sharing keys and short values across objects."""

from __future__ import annotations

import json

from teamop.runtime import decode


def test_decodes_like_json_loads() -> None:
    body = json.dumps({"metadata": {"name": "a", "labels": {"x": "y"}, "resourceVersion": "12"},
                       "spec": {"ports": [{"port": 80, "protocol": "TCP"}], "on": True, "none": None},
                       "data": {"big": "z" * 500}}).encode()
    assert decode.loads(body) == json.loads(body)


def test_repeated_strings_are_shared_across_objects() -> None:
    one = decode.loads(b'{"kind": "Service", "spec": {"type": "ClusterIP"}}')
    two = decode.loads(bytearray(b'{"kind": "Service", "spec": {"type": "ClusterIP"}}'))
    assert one["spec"]["type"] is two["spec"]["type"]
    assert next(iter(one)) is next(iter(two))


def test_resource_versions_and_long_values_are_not_kept() -> None:
    before = decode.shared_strings()
    decode.loads(b'{"metadata": {"resourceVersion": "98765432101"}, "data": {"k": "' + b"v" * 200 + b'"}}')
    assert decode.shared_strings() - before <= 4  # metadata, resourceVersion, data, k
