"""The server's configuration files (ConfigMap `<site>-workbench`): rserver.conf, launcher.conf,
launcher.kubernetes.conf, resource profiles, logging.conf, jupyter.conf, vscode.conf …"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation

from teamop.products.workbench import layouts
from teamop.products.workbench.effective import EffectiveConfig, Values
from teamop.products.workbench.ini import flat_file, sectioned_file
from teamop.products.workbench.session_config import session_files

LAUNCHER_SECTIONS = ("server", "cluster")
_LAUNCHER_LAYOUTS = {"server": layouts.LAUNCHER_SERVER, "cluster": layouts.LAUNCHER_CLUSTER}


def server_files(cfg: EffectiveConfig) -> dict[str, str]:
    """File name → text. The session files are included too: the server reads some of them (positron.conf,
    workbench_nss.conf), as the reference does."""
    files: dict[str, str] = {"rserver.conf": flat_file(cfg.rserver, layouts.RSERVER)}
    if cfg.launcher is not None:
        files["launcher.conf"] = launcher_conf(cfg.launcher)
    if cfg.launcher_kubernetes is not None:
        files["launcher.kubernetes.conf"] = flat_file(cfg.launcher_kubernetes, layouts.LAUNCHER_KUBERNETES)
    if cfg.launcher_local is not None:
        files["launcher.local.conf"] = flat_file(cfg.launcher_local, layouts.LAUNCHER_LOCAL)
    if cfg.logging is not None:
        files["logging.conf"] = sectioned_file([("*", cfg.logging, layouts.LOGGING_SECTION)])
    if cfg.jupyter is not None:
        files["jupyter.conf"] = flat_file(cfg.jupyter, layouts.JUPYTER)
    if cfg.vscode is not None:
        files["vscode.conf"] = flat_file(cfg.vscode, layouts.VSCODE)
    if cfg.resource_profiles is not None:
        files["launcher.kubernetes.resources.conf"] = resources_conf(cfg.resource_profiles)
    if cfg.kubernetes_profiles is not None:
        files["launcher.kubernetes.profiles.conf"] = profiles_conf(cfg.kubernetes_profiles)
    if cfg.launcher_env is not None:
        files["launcher-env"] = launcher_env(cfg.launcher_env)
    files.update(session_files(cfg))
    return dict(sorted(files.items()))


def launcher_conf(sections: dict[str, Values]) -> str:
    unknown = set(sections) - set(LAUNCHER_SECTIONS)
    if unknown:
        raise ValueError(f"launcher.conf has no sections {sorted(unknown)}")
    return sectioned_file(
        (name, sections[name], _LAUNCHER_LAYOUTS[name]) for name in LAUNCHER_SECTIONS if name in sections
    )


def resource_profile_order(profiles: dict[str, Values]) -> list[str]:
    """Profile names smallest first, `default` always first (Workbench offers the first one by default)."""
    return sorted(profiles, key=lambda name: _size_rank(name, profiles[name]))


def resources_conf(profiles: dict[str, Values]) -> str:
    ordered = resource_profile_order(profiles)
    return sectioned_file((name, profiles[name], layouts.RESOURCE_PROFILE) for name in ordered)


def profiles_conf(profiles: dict[str, Values]) -> str:
    """User/group profiles; the catch-all `[*]` first."""
    ordered = sorted(profiles, key=lambda name: (name != "*", name))
    return sectioned_file((name, profiles[name], layouts.KUBERNETES_PROFILE) for name in ordered)


def launcher_env(values: Values) -> str:
    """launcher-env is a DCF file: `Field: value`; Environment's `NAME=value` pairs continue on indented lines."""
    text = ""
    if values.get("JobType"):
        text += f"\nJobType: {values['JobType']}"
    environment: dict[str, str] = values.get("Environment") or {}
    if environment:
        pairs = [f"{name}={environment[name]}" for name in sorted(environment)]
        text += "\nEnvironment: " + "\n  ".join(pairs)
    return text + "\n"


def _size_rank(name: str, profile: Values) -> tuple[bool, Decimal, Decimal, str]:
    cpu = max(_quantity(profile.get("cpus")), _quantity(profile.get("cpus-request")))
    memory = max(_quantity(profile.get("mem-mb")), _quantity(profile.get("mem-mb-request")))
    return (name != "default", cpu, memory, name)


def _quantity(value: object) -> Decimal:
    """A CPU count or MB figure as written in a profile ("2", "0.5", "500m"); unreadable counts as 0."""
    text = str(value or "").strip()
    try:
        if text.endswith("m"):
            return Decimal(text[:-1]) / 1000
        return Decimal(text) if text else Decimal(0)
    except InvalidOperation:
        return Decimal(0)
