"""API roles and the permission matrix, the one place that decides who may call what.

The matrix (also in docs/api.md):

=====================  ===========  ============  =======  =======  =====
permission             case-system  investigator  analyst  auditor  admin
=====================  ===========  ============  =======  =======  =====
clusters:read          yes          yes           yes      no       yes
findings:read          yes          yes           yes      no       yes
agents:read            yes          yes           yes      no       yes
hub_values:read        yes          yes           yes      no       yes
checks:entry           yes          yes           no       no       yes
audit:read             no           no            no       yes      no
metrics:read           no           no            no       no       yes
=====================  ===========  ============  =======  =======  =====

``/metrics`` needs ``metrics:read`` only from a non-loopback client, and
``/health`` and ``/ready`` need no key.

Roles in :data:`FULL_VIEW_ROLES` see ID numbers, phones, bank accounts and
names in full; every other role sees them masked. The auditor reads the audit
log and no customer data.
"""

from __future__ import annotations

from typing import Literal, get_args

Role = Literal["case-system", "investigator", "analyst", "auditor", "admin"]
ROLES: tuple[Role, ...] = get_args(Role)

Permission = Literal[
    "clusters:read", "findings:read", "agents:read", "hub_values:read", "checks:entry", "audit:read", "metrics:read",
]

_CUSTOMER_DATA_READERS: frozenset[Role] = frozenset({"case-system", "investigator", "analyst", "admin"})

PERMISSIONS: dict[Permission, frozenset[Role]] = {
    "clusters:read": _CUSTOMER_DATA_READERS,
    "findings:read": _CUSTOMER_DATA_READERS,
    "agents:read": _CUSTOMER_DATA_READERS,
    "hub_values:read": _CUSTOMER_DATA_READERS,
    # Entry-time checks serve proposal entry and investigation, not statistics.
    "checks:entry": frozenset({"case-system", "investigator", "admin"}),
    # Audit entries name who read which records; only the auditor reads them.
    "audit:read": frozenset({"auditor"}),
    "metrics:read": frozenset({"admin"}),
}

# Roles that see personal data unmasked: the case system files the cases, and admin runs the service.
FULL_VIEW_ROLES: frozenset[Role] = frozenset({"case-system", "admin"})


def is_allowed(role: str, permission: Permission) -> bool:
    """Return whether ``role`` holds ``permission``; an unknown role holds none."""
    return role in PERMISSIONS[permission]


def sees_full_data(role: str) -> bool:
    """Return whether ``role`` sees ID numbers, phones, bank accounts and names unmasked."""
    return role in FULL_VIEW_ROLES
