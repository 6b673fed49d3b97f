"""Does the live object already say everything the desired object says? (A value comparison for fields whose
owner does not matter — `immutable` uses it; the skip decision of apply is `converged`, which also asks who owns each
field.)

The desired object must be a *subset* of the live one: every field we set equals the live value, where the server
may have added fields (defaults, status, metadata). Lists are compared element by element and must have the same
length. Normalised the way the API server normalises what it stores:
- zero values (`""`, `0`, `false`, `{}`, `[]`, null) equal an absent field: the server drops omitempty fields;
- resource quantities compare by value (`0.5` == `500m`, `1024Mi` == `1Gi`) where the server canonicalises them;
- `metadata.ownerReferences` compare by uid, since other owners may hold references too.
int-or-string fields (ports, targetPort) keep their type on the server, so 8080 and "8080" differ.
Secrets' `stringData` must be folded into `data` before comparing (see `normalise_secret`).
"""

from __future__ import annotations

import base64
import copy
import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

# Map keys whose values are resource quantities the server canonicalises.
QUANTITY_MAPS = frozenset({"requests", "limits", "capacity", "allocatable", "hard", "used"})
QUANTITY_FIELDS = frozenset({"sizeLimit", "storage"})

_QUANTITY = re.compile(r"^([+-]?[0-9.]+(?:[eE][+-]?[0-9]+)?)(Ki|Mi|Gi|Ti|Pi|Ei|n|u|m|k|M|G|T|P|E)?$")
_SUFFIX = {
    "": Decimal(1), "n": Decimal("1e-9"), "u": Decimal("1e-6"), "m": Decimal("1e-3"), "k": Decimal("1e3"),
    "M": Decimal("1e6"), "G": Decimal("1e9"), "T": Decimal("1e12"), "P": Decimal("1e15"), "E": Decimal("1e18"),
    "Ki": Decimal(2**10), "Mi": Decimal(2**20), "Gi": Decimal(2**30), "Ti": Decimal(2**40), "Pi": Decimal(2**50),
    "Ei": Decimal(2**60),
}


def parse_quantity(value: Any) -> Decimal | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return Decimal(str(value))
    if not isinstance(value, str):
        return None
    match = _QUANTITY.match(value.strip())
    if not match:
        return None
    try:
        return Decimal(match.group(1)) * _SUFFIX[match.group(2) or ""]
    except InvalidOperation:
        return None


def is_zero(value: Any) -> bool:
    """The values the API server drops from omitempty fields: null, false, 0, "", {} and []."""
    if value is None:
        return True
    if isinstance(value, bool):
        return value is False
    if isinstance(value, int | float):
        return value == 0
    if isinstance(value, str | Mapping | list):
        return len(value) == 0
    return False


def is_subset(desired: Any, live: Any) -> bool:
    """True when every field set in `desired` has the same value in `live`."""
    return not differences(desired, live)


def differences(desired: Any, live: Any, limit: int = 10) -> list[str]:
    """Paths (dotted) where `desired` is not matched by `live`; at most `limit` of them."""
    found: list[str] = []
    _diff(desired, live, "", "", found, limit)
    return found


def _diff(desired: Any, live: Any, path: str, key: str, found: list[str], limit: int) -> None:
    if len(found) >= limit or desired is None:
        return
    if is_zero(desired) and not isinstance(desired, Mapping):
        if not is_zero(live):
            found.append(path or ".")
        return
    if isinstance(desired, Mapping):
        if live is None:
            live = {}
        if not isinstance(live, Mapping):
            found.append(path or ".")
            return
        for name, value in desired.items():
            child = f"{path}.{name}" if path else str(name)
            if (key in QUANTITY_MAPS or name in QUANTITY_FIELDS) and _is_scalar(value):
                if not _same_quantity(value, live.get(name)):
                    found.append(child)
                continue
            if name == "ownerReferences" and key == "metadata":
                _diff_owner_references(value, live.get(name), child, found)
                continue
            _diff(value, live.get(name), child, str(name), found, limit)
        return
    if isinstance(desired, list):
        if not isinstance(live, list) or len(live) != len(desired):
            found.append(path or ".")
            return
        for index, (want, have) in enumerate(zip(desired, live, strict=True)):
            _diff(want, have, f"{path}[{index}]", key, found, limit)
        return
    if desired != live or isinstance(desired, bool) != isinstance(live, bool):
        found.append(path or ".")


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float) and not isinstance(value, bool)


def _same_quantity(desired: Any, live: Any) -> bool:
    want, have = parse_quantity(desired), parse_quantity(live)
    if want is None or have is None:
        return bool(desired == live)
    return want == have


def _diff_owner_references(desired: Any, live: Any, path: str, found: list[str]) -> None:
    live_by_uid = {ref.get("uid"): ref for ref in live or [] if isinstance(ref, Mapping)}
    for ref in desired or []:
        have = live_by_uid.get(ref.get("uid"))
        if have is None or not is_subset(ref, have):
            found.append(path)
            return


def normalise_secret(obj: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a Secret with `stringData` folded into `data` (base64), as the API server stores it."""
    result = copy.deepcopy(dict(obj))
    string_data = result.pop("stringData", None)
    if string_data:
        data = dict(result.get("data") or {})
        for name, text in string_data.items():
            data[name] = base64.b64encode(str(text).encode()).decode()
        result["data"] = data
    return result
