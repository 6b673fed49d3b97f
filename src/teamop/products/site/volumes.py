"""A Site's storage at the reference's addresses (COMPAT.md "Storage"), so that a product taken over from the Go
team-operator finds its data where that operator put it.

`spec.volumeSource.type` decides where the products' volumes come from:

- `nfs`: cluster-scoped PersistentVolumes on the NFS server `dnsName`, each at `<root>/<site>/<directory>` with
  storage class `<pv>-nfs`, where `<root>` is `/fsx` for an FSx hostname (`fs-….fsx.…`) and `/` otherwise; and a
  root PV `<site>` at `<root>`, which the subdirectory Job mounts to create those directories.
- `fsx-zfs`: the same volumes as static PVs of the FSx for OpenZFS CSI driver (volume `volumeId` of `dnsName`, at
  `fsx/<site>/<directory>`), each with its own name as storage class; the root PV `<site>` at `fsx/`.
- `azure-netapp`: no PV; the claims ask for the class `azure-netapp-files` (Connect and Workbench at its 50Gi
  minimum).

With any of them the products' claims are ReadWriteMany and name their PV (`volumeName`). The Site's shared
directory (`sharedDirectory`) is the claim `<site>-shared`, which the Site creates and Connect and Workbench mount.
PVs are cluster-scoped: they carry the Site's labels only (a namespaced Site cannot own them), its finalizer
removes them, and their Retain policy keeps the data.
"""

from __future__ import annotations

import hashlib
import posixpath
import string
from typing import Any, Literal

from teamop.api.v1beta1 import SiteSpec
from teamop.products.site.labels import site_labels
from teamop.products.storage import DEFAULT_VOLUME_SIZE, site_shared_claim
from teamop.runtime.compare import parse_quantity

Component = Literal["connect", "workbench"]

NFS = "nfs"
FSX_ZFS = "fsx-zfs"
AZURE_NETAPP = "azure-netapp"
AZURE_NETAPP_CLASS = "azure-netapp-files"
AZURE_NETAPP_MINIMUM_SIZE = "50Gi"
FSX_CSI_DRIVER = "fsx.openzfs.csi.aws.com"
NFS_MOUNT_OPTIONS = ("nfsvers=4.1", "rsize=1048576", "wsize=1048576", "timeo=600")
FSX_MOUNT_OPTIONS = ("nfsvers=4.2", "rsize=1048576", "wsize=1048576", "timeo=600")
READ_WRITE_MANY = "ReadWriteMany"

ROOT_VOLUME_SIZE = "1Gi"
PRODUCT_VOLUME_SIZE = "10Gi"
"""The PV size of Connect's, Workbench's home and the shared directory's volumes (larger if their claim is)."""
SHARED_STORAGE_SIZE = "10Gi"
"""Workbench's shared storage PV and the shared directory's claim."""

SUBDIR_SCRIPT_KEY = "subdir-provisioner.sh"
SUBDIR_SCRIPT = """#!/bin/bash
# Creates every directory named on the command line, with its parents.
for directory in "$@"; do
  echo "creating ${directory}"
  mkdir -p "${directory}"
done
"""
SUBDIR_IMAGE = "ghcr.io/rstudio/rstudio-workbench-preview:jammy-daily"
SUBDIR_MOUNT = "/mnt/"
SUBDIR_JOB_TTL_SECONDS = 2 * 60 * 60
SUBDIR_DIRECTORIES = ("connect", "workbench", "workbench-shared-storage")


def source_type(spec: SiteSpec) -> str | None:
    """`nfs`, `fsx-zfs`, `azure-netapp`, or None without a volume source."""
    return (spec.volume_source.type if spec.volume_source else None) or None


def storage_class(source: str, volume: str) -> str:
    """The storage class of the volume `volume` (a PV's name) under `source`."""
    if source == NFS:
        return f"{volume}-nfs"
    if source == AZURE_NETAPP:
        return AZURE_NETAPP_CLASS
    return volume  # FSx: static PVs, each its own class


def storage_problem(spec: SiteSpec) -> str | None:
    """Why the PVs of `volumeSource` cannot be made (a field they need is empty), if they cannot."""
    source, volume_source = source_type(spec), spec.volume_source
    if volume_source is None or source not in (NFS, FSX_ZFS):
        return None
    needed = ["dnsName"] + (["volumeId"] if source == FSX_ZFS else [])
    missing = [f for f in needed if not (volume_source.dns_name if f == "dnsName" else volume_source.volume_id)]
    if not missing:
        return None
    return (f"spec.volumeSource.type is {source} but {' and '.join(missing)} is empty: no PersistentVolume was "
            "made, and the products' claims stay Pending until it is set")


# --- what the products are told ----------------------------------------------------------------------------------
def product_volume(site: str, spec: SiteSpec, component: Component) -> dict[str, Any] | None:
    """The `volume` of the product resource: the Site section's own, and with a volume source a ReadWriteMany
    claim of the Site's PV `<site>-<component>` (its class; Azure NetApp's minimum size), as the reference."""
    section = spec.connect if component == "connect" else spec.workbench
    volume = section.volume.to_dict() if section is not None and section.volume is not None else None
    source = source_type(spec)
    if source is None:
        return volume
    name = f"{site}-{component}"
    volume = {**(volume or {}), "create": True, "accessModes": [READ_WRITE_MANY], "volumeName": name,
              "storageClassName": storage_class(source, name)}
    if source == AZURE_NETAPP:
        volume["size"] = AZURE_NETAPP_MINIMUM_SIZE
    return volume


def shared_directory_volume(site: str, spec: SiteSpec) -> dict[str, Any] | None:
    """The shared directory as an additional volume of Connect and Workbench (mounted at /mnt/<sharedDirectory>),
    described as the claim the Site creates."""
    if not spec.shared_directory:
        return None
    name = site_shared_claim(site)
    volume: dict[str, Any] = {"create": True, "accessModes": [READ_WRITE_MANY], "size": SHARED_STORAGE_SIZE,
                              "pvcName": name, "mountPath": f"/mnt/{spec.shared_directory}"}
    source = source_type(spec)
    if source is not None:
        # Without a volume source the reference names a PV and class nobody makes, so its claim never binds;
        # teamop's comes from the cluster's default class.
        volume["volumeName"] = name
        volume["storageClassName"] = storage_class(source, name)
    return volume


# --- what the Site creates ---------------------------------------------------------------------------------------
def shared_directory_claim(site: str, namespace: str, spec: SiteSpec) -> dict[str, Any] | None:
    """`<site>-shared`, the claim of the shared directory."""
    volume = shared_directory_volume(site, spec)
    if volume is None:
        return None
    return _claim(site, namespace, volume["pvcName"], size=volume["size"], storage_class=volume.get("storageClassName"),
                  volume_name=volume.get("volumeName"))


def persistent_volumes(site: str, spec: SiteSpec) -> list[dict[str, Any]]:
    """The cluster-scoped PVs of an NFS or FSx volume source: the root, then one per enabled product volume and the
    shared directory."""
    source = source_type(spec)
    if source not in (NFS, FSX_ZFS) or storage_problem(spec) is not None:
        return []
    assert source is not None
    volumes = [_persistent_volume(site, spec, source, site, "", ROOT_VOLUME_SIZE)]
    if spec.connect is not None:
        volumes.append(_persistent_volume(site, spec, source, f"{site}-connect", "connect",
                                          _product_volume_size(site, spec, "connect")))
    if spec.workbench is not None:
        volumes.append(_persistent_volume(site, spec, source, f"{site}-workbench", "workbench",
                                          _product_volume_size(site, spec, "workbench")))
        volumes.append(_persistent_volume(site, spec, source, f"{site}-workbench-shared-storage",
                                          "workbench-shared-storage", SHARED_STORAGE_SIZE))
    if spec.shared_directory:
        volumes.append(_persistent_volume(site, spec, source, site_shared_claim(site), "shared", PRODUCT_VOLUME_SIZE))
    return volumes


def subdirectory_objects(site: str, namespace: str, spec: SiteSpec) -> list[dict[str, Any]]:
    """The claim `<site>-subdir` of the root PV, the ConfigMap `<site>-subdir` holding the script, and (unless
    `volumeSubdirJobOff`) the Job that creates the products' directories under `<root>/<site>/`."""
    source = source_type(spec)
    if source not in (NFS, FSX_ZFS) or storage_problem(spec) is not None:
        return []
    assert source is not None
    name = f"{site}-subdir"
    objects = [
        _claim(site, namespace, name, size=ROOT_VOLUME_SIZE, storage_class=storage_class(source, site),
               volume_name=site),
        {"apiVersion": "v1", "kind": "ConfigMap",
         "metadata": {"name": name, "namespace": namespace, "labels": site_labels(site)},
         "data": {SUBDIR_SCRIPT_KEY: SUBDIR_SCRIPT}},
    ]
    if not spec.volume_subdir_job_off:
        objects.append(_subdirectory_job(site, namespace, name, spec))
    return objects


def subdirectory_job_arguments(site: str, spec: SiteSpec) -> list[str]:
    directories = [*SUBDIR_DIRECTORIES, *(["shared"] if spec.shared_directory else [])]
    return [f"{SUBDIR_MOUNT}{site}/{directory}" for directory in directories]


def _subdirectory_job(site: str, namespace: str, name: str, spec: SiteSpec) -> dict[str, Any]:
    arguments = subdirectory_job_arguments(site, spec)
    script = f"/{SUBDIR_SCRIPT_KEY}"
    return {
        "apiVersion": "batch/v1",
        "kind": "Job",
        "metadata": {"name": f"{name}-{_suffix(arguments)}", "namespace": namespace, "labels": site_labels(site)},
        "spec": {
            "ttlSecondsAfterFinished": SUBDIR_JOB_TTL_SECONDS,
            "template": {"spec": {
                "enableServiceLinks": False,
                "restartPolicy": "OnFailure",
                "securityContext": {"runAsUser": 0},
                "containers": [{
                    "name": "subdir-maker",
                    "image": SUBDIR_IMAGE,
                    "command": [script],
                    "args": arguments,
                    "volumeMounts": [
                        {"name": "exec-script", "mountPath": script, "subPath": SUBDIR_SCRIPT_KEY},
                        {"name": "data-volume", "mountPath": SUBDIR_MOUNT},
                    ],
                }],
                "volumes": [
                    {"name": "exec-script", "configMap": {
                        "name": name, "items": [{"key": SUBDIR_SCRIPT_KEY, "path": SUBDIR_SCRIPT_KEY}],
                        "defaultMode": 0o755}},
                    {"name": "data-volume", "persistentVolumeClaim": {"claimName": name}},
                ],
            }},
        },
    }


def _suffix(arguments: list[str]) -> str:
    """Six letters that change with the directories: a Job's pod template cannot change, so a new list of
    directories is a new Job (the reference named each of its Jobs with six random letters)."""
    digest = hashlib.sha256("\n".join(arguments).encode()).digest()
    return "".join(string.ascii_lowercase[byte % 26] for byte in digest[:6])


def _persistent_volume(site: str, spec: SiteSpec, source: str, name: str, directory: str,
                       capacity: str) -> dict[str, Any]:
    assert spec.volume_source is not None
    dns_name = spec.volume_source.dns_name or ""
    if source == NFS:
        mount_options = NFS_MOUNT_OPTIONS
        location: dict[str, Any] = {"nfs": {"server": dns_name, "path": _nfs_path(site, dns_name, directory)}}
    else:
        mount_options = FSX_MOUNT_OPTIONS
        location = {"csi": {"driver": FSX_CSI_DRIVER, "volumeHandle": spec.volume_source.volume_id or "",
                            "volumeAttributes": {"DNSName": dns_name, "VolumePath": _fsx_path(site, directory),
                                                 "ResourceType": "volume"}}}
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": name, "labels": site_labels(site)},
        "spec": {
            "capacity": {"storage": capacity},
            "accessModes": [READ_WRITE_MANY],
            "storageClassName": storage_class(source, name),
            "mountOptions": list(mount_options),
            "persistentVolumeReclaimPolicy": "Retain",
            **location,
        },
    }


def _nfs_path(site: str, dns_name: str, directory: str) -> str:
    root = "/fsx" if dns_name.startswith("fs-") and ".fsx." in dns_name else "/"
    return posixpath.join(root, *_site_directory(site, directory))


def _fsx_path(site: str, directory: str) -> str:
    return "fsx/" if not directory else "/".join(["fsx", *_site_directory(site, directory)])


def _site_directory(site: str, directory: str) -> list[str]:
    """The path parts under the root. The reference maps a directory named like the Site to the Site's own
    directory (a Site named `connect` keeps Connect's data in `<root>/connect`); so does teamop, to find it there."""
    if not directory:
        return []
    return [site] if directory == site else [site, directory]


def _product_volume_size(site: str, spec: SiteSpec, component: Component) -> str:
    """The PV's capacity: the reference's 10Gi, or the product's claim when it asks for more (a PV smaller than
    its claim never binds)."""
    claimed = (product_volume(site, spec, component) or {}).get("size") or DEFAULT_VOLUME_SIZE
    larger = (parse_quantity(claimed) or 0) > (parse_quantity(PRODUCT_VOLUME_SIZE) or 0)
    return str(claimed) if larger else PRODUCT_VOLUME_SIZE


def _claim(site: str, namespace: str, name: str, *, size: str, storage_class: str | None,
           volume_name: str | None) -> dict[str, Any]:
    claim_spec: dict[str, Any] = {"accessModes": [READ_WRITE_MANY], "resources": {"requests": {"storage": size}}}
    if storage_class:
        claim_spec["storageClassName"] = storage_class
    if volume_name:
        claim_spec["volumeName"] = volume_name
    return {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": namespace, "labels": site_labels(site)},
        "spec": claim_spec,
    }
