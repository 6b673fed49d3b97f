"""A Site's storage renders as the Go team-operator's (commit c57bf8d) does, so that a product taken over from it
finds its data: the expected objects below are written out from reading the Go code paths named in each
docstring (`internal/controller/core/...`), and compared field by field.

What teamop leaves out on purpose: the Go operator's ownerReferences (a namespaced Site cannot own a cluster-scoped
PV; teamop labels PVs and its finalizer removes them; namespaced objects get teamop's controller reference from the
applier), and its Job's random six-letter name suffix (teamop's six letters follow from the directories).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from teamop.api.v1beta1 import ConnectSpec, SiteSpec, WorkbenchSpec
from teamop.products import connect, workbench
from teamop.products.context import RenderContext, SecretKeyRef
from teamop.products.site import SiteInputs, SiteRendered, render_site
from teamop.products.site.volumes import SUBDIR_SCRIPT, SUBDIR_SCRIPT_KEY

SITE = "orbit"
NAMESPACE = "team"
NFS_SERVER = "nfs.example.test"
FSX_NFS_SERVER = "fs-0123456789abcdef0.fsx.us-east-2.amazonaws.com"
FSX_VOLUME = "fsvol-0123456789abcdef0"
IMAGE = "ghcr.io/rstudio/example:2025.01.0"
SITE_LABELS = {
    "app.kubernetes.io/instance": SITE,
    "app.kubernetes.io/name": "site",
    "posit.team/component": "site",
    "posit.team/site": SITE,
}
NFS_OPTIONS = ["nfsvers=4.1", "rsize=1048576", "wsize=1048576", "timeo=600"]
FSX_OPTIONS = ["nfsvers=4.2", "rsize=1048576", "wsize=1048576", "timeo=600"]


def site(volume_source: dict[str, Any] | None, **extra: Any) -> SiteSpec:
    sections = {"connect": {"image": IMAGE}, "workbench": {"image": IMAGE}}
    for name in sections:
        sections[name].update(extra.pop(name, {}))
    return SiteSpec.model_validate({
        "domain": "example.test", **sections, **({"volumeSource": volume_source} if volume_source else {}), **extra,
    })


def render(spec: SiteSpec) -> SiteRendered:
    return render_site(SITE, NAMESPACE, spec, SiteInputs())


def fields(value: Any, path: str = "") -> dict[str, Any]:
    """Every leaf of `value` by its dotted path, so that a difference names the field."""
    if isinstance(value, dict) and value:
        return {k: v for key, item in value.items() for k, v in fields(item, f"{path}.{key}" if path else key).items()}
    if isinstance(value, list) and value:
        return {k: v for index, item in enumerate(value) for k, v in fields(item, f"{path}[{index}]").items()}
    return {path: value}


def assert_same(ours: dict[str, Any] | None, expected: dict[str, Any]) -> None:
    assert ours is not None, f"{expected['kind']} {expected['metadata']['name']} is not rendered"
    assert fields(ours) == fields(expected)


def find(objects: list[dict[str, Any]], kind: str, name: str) -> dict[str, Any] | None:
    return next((o for o in objects if o["kind"] == kind and o["metadata"]["name"] == name), None)


def product(rendered: SiteRendered, kind: str) -> dict[str, Any]:
    found = find(rendered.objects, kind, SITE)
    assert found is not None
    return found["spec"]  # type: ignore[no-any-return]


# --- the Go operator's objects, as its code builds them ---------------------------------------------------------
def site_pv(name: str, size: str, storage_class: str, mount_options: list[str],
            source: dict[str, Any]) -> dict[str, Any]:
    """What every PersistentVolume of the Site shares (volumes.go); `source` is its `nfs` or `csi` entry."""
    return {
        "apiVersion": "v1", "kind": "PersistentVolume",
        "metadata": {"name": name, "labels": SITE_LABELS},
        "spec": {
            "capacity": {"storage": size},
            "accessModes": ["ReadWriteMany"],
            "storageClassName": storage_class,
            "mountOptions": mount_options,
            "persistentVolumeReclaimPolicy": "Retain",
            **source,
        },
    }


def nfs_pv(name: str, path: str, storage_class: str, size: str, server: str = NFS_SERVER) -> dict[str, Any]:
    """`provisionNfsVolume` and `provisionRootNfsVolume` (volumes.go)."""
    return site_pv(name, size, storage_class, NFS_OPTIONS, {"nfs": {"server": server, "path": path}})


def fsx_pv(name: str, volume_path: str, size: str) -> dict[str, Any]:
    """`provisionFsxVolume` and `provisionRootFsxVolume` (volumes.go): the storage class is the PV's name."""
    return site_pv(name, size, name, FSX_OPTIONS, {"csi": {
        "driver": "fsx.openzfs.csi.aws.com",
        "volumeHandle": FSX_VOLUME,
        "volumeAttributes": {"DNSName": FSX_NFS_SERVER, "VolumePath": volume_path, "ResourceType": "volume"},
    }})


def site_claim(name: str, size: str, storage_class: str, volume_name: str) -> dict[str, Any]:
    """The Site's claims: `<site>-subdir` (`provisionSubDirectoryCreator`, subdir.go) and `<site>-shared`
    (`reconcileResources`' shared directory through `product.DefinePvc`, site_controller.go / pvc.go)."""
    return {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": SITE_LABELS},
        "spec": {
            "accessModes": ["ReadWriteMany"],
            "resources": {"requests": {"storage": size}},
            "storageClassName": storage_class,
            "volumeName": volume_name,
        },
    }


def subdir_job(arguments: list[str]) -> dict[str, Any]:
    """`provisionSubDirectoryCreator` (subdir.go), without its name (random there)."""
    return {
        "apiVersion": "batch/v1", "kind": "Job",
        "metadata": {"namespace": NAMESPACE, "labels": SITE_LABELS},
        "spec": {
            "ttlSecondsAfterFinished": 7200,
            "template": {"spec": {
                "enableServiceLinks": False,
                "restartPolicy": "OnFailure",
                "containers": [{
                    "name": "subdir-maker",
                    "image": "ghcr.io/rstudio/rstudio-workbench-preview:jammy-daily",
                    "command": ["/subdir-provisioner.sh"],
                    "args": arguments,
                    "volumeMounts": [
                        {"name": "exec-script", "mountPath": "/subdir-provisioner.sh",
                         "subPath": "subdir-provisioner.sh"},
                        {"name": "data-volume", "mountPath": "/mnt/"},
                    ],
                }],
                "securityContext": {"runAsUser": 0},
                "volumes": [
                    {"name": "exec-script", "configMap": {
                        "name": f"{SITE}-subdir",
                        "items": [{"key": "subdir-provisioner.sh", "path": "subdir-provisioner.sh"}],
                        "defaultMode": 0o755}},
                    {"name": "data-volume", "persistentVolumeClaim": {"claimName": f"{SITE}-subdir"}},
                ],
            }},
        },
    }


def product_volume(storage_class: str, volume_name: str, **extra: Any) -> dict[str, Any]:
    """What `reconcileConnect` and `reconcileWorkbench` force into the product's `volume` when the Site has a
    volume source (site_controller_connect.go, site_controller_workbench.go)."""
    return {"create": True, "accessModes": ["ReadWriteMany"], "volumeName": volume_name,
            "storageClassName": storage_class, **extra}


def shared_directory_volume(storage_class: str) -> dict[str, Any]:
    """The additional volume `reconcileResources` gives Connect and Workbench for `sharedDirectory`."""
    return {"create": True, "accessModes": ["ReadWriteMany"], "volumeName": f"{SITE}-shared",
            "storageClassName": storage_class, "size": "10Gi", "pvcName": f"{SITE}-shared", "mountPath": "/mnt/team"}


def product_claim(kind: str, name: str, size: str, storage_class: str, volume_name: str) -> dict[str, Any]:
    """`product.DefinePvc` (pvc.go) as Connect's and Workbench's controllers call it (connect.go, workbench.go):
    their data or home volume (default 2Gi), and Workbench's shared storage (10Gi, `<pv>-nfs`, bound by name)."""
    component, app = {"Connect": ("connect", "connect"), "Workbench": ("workbench", "workbench")}[kind]
    return {
        "apiVersion": "v1", "kind": "PersistentVolumeClaim",
        "metadata": {"name": name, "namespace": NAMESPACE, "labels": {
            "app.kubernetes.io/instance": f"{SITE}-{component}", "app.kubernetes.io/managed-by": "team-operator",
            "app.kubernetes.io/name": app, "posit.team/component": component, "posit.team/site": SITE}},
        "spec": {
            "accessModes": ["ReadWriteMany"],
            "resources": {"requests": {"storage": size}},
            "storageClassName": storage_class,
            "volumeName": volume_name,
            "volumeMode": "Filesystem",
        },
    }


def connect_claims(rendered: SiteRendered) -> list[dict[str, Any]]:
    spec = ConnectSpec.model_validate(product(rendered, "Connect"))
    secrets = {need.key: SecretKeyRef(SITE, need.key) for need in connect.secret_needs(spec)}
    objects = connect.render(spec, RenderContext(site=SITE, namespace=NAMESPACE, secrets=secrets)).objects
    return [o for o in objects if o["kind"] == "PersistentVolumeClaim"]


def workbench_claims(rendered: SiteRendered) -> list[dict[str, Any]]:
    spec = WorkbenchSpec.model_validate(product(rendered, "Workbench"))
    secrets = {need.key: SecretKeyRef(SITE, need.key) for need in workbench.secret_needs(spec)}
    objects = workbench.render(spec, RenderContext(site=SITE, namespace=NAMESPACE, secrets=secrets)).objects
    return [o for o in objects if o["kind"] == "PersistentVolumeClaim"]


SUBDIRECTORIES = [f"/mnt/{SITE}/connect", f"/mnt/{SITE}/workbench", f"/mnt/{SITE}/workbench-shared-storage"]
NFS_SOURCE = {"type": "nfs", "dnsName": NFS_SERVER}
FSX_SOURCE = {"type": "fsx-zfs", "dnsName": FSX_NFS_SERVER, "volumeId": FSX_VOLUME}
AZURE_SOURCE = {"type": "azure-netapp"}


# --- NFS --------------------------------------------------------------------------------------------------------
def test_an_nfs_site_gets_the_references_volumes_at_slash_site_slash_component() -> None:
    rendered = render(site(NFS_SOURCE, sharedDirectory="team"))
    expected = [
        nfs_pv(SITE, "/", f"{SITE}-nfs", "1Gi"),
        nfs_pv(f"{SITE}-connect", f"/{SITE}/connect", f"{SITE}-connect-nfs", "10Gi"),
        nfs_pv(f"{SITE}-workbench", f"/{SITE}/workbench", f"{SITE}-workbench-nfs", "10Gi"),
        nfs_pv(f"{SITE}-workbench-shared-storage", f"/{SITE}/workbench-shared-storage",
               f"{SITE}-workbench-shared-storage-nfs", "10Gi"),
        nfs_pv(f"{SITE}-shared", f"/{SITE}/shared", f"{SITE}-shared-nfs", "10Gi"),
    ]
    assert [pv["metadata"]["name"] for pv in rendered.cluster_objects] == [pv["metadata"]["name"] for pv in expected]
    for ours, theirs in zip(rendered.cluster_objects, expected, strict=True):
        assert_same(ours, theirs)


def test_an_nfs_server_on_fsx_is_mounted_under_slash_fsx() -> None:
    """`guessRootNFSPathFromDNSName` (volumes.go): `fs-…` names containing `.fsx.` root at /fsx."""
    rendered = render(site({"type": "nfs", "dnsName": FSX_NFS_SERVER}, sharedDirectory="team"))
    paths = {pv["metadata"]["name"]: pv["spec"]["nfs"]["path"] for pv in rendered.cluster_objects}
    assert paths == {
        SITE: "/fsx",
        f"{SITE}-connect": f"/fsx/{SITE}/connect",
        f"{SITE}-workbench": f"/fsx/{SITE}/workbench",
        f"{SITE}-workbench-shared-storage": f"/fsx/{SITE}/workbench-shared-storage",
        f"{SITE}-shared": f"/fsx/{SITE}/shared",
    }
    assert_same(find(rendered.cluster_objects, "PersistentVolume", f"{SITE}-connect"),
                nfs_pv(f"{SITE}-connect", f"/fsx/{SITE}/connect", f"{SITE}-connect-nfs", "10Gi", FSX_NFS_SERVER))


def test_an_nfs_site_creates_the_subdirectories_with_the_references_job() -> None:
    rendered = render(site(NFS_SOURCE, sharedDirectory="team"))
    assert_same(find(rendered.objects, "PersistentVolumeClaim", f"{SITE}-subdir"),
                site_claim(f"{SITE}-subdir", "1Gi", f"{SITE}-nfs", SITE))
    jobs = [o for o in rendered.objects if o["kind"] == "Job"]
    assert len(jobs) == 1
    assert re.fullmatch(rf"{SITE}-subdir-[a-z]{{6}}", jobs[0]["metadata"]["name"])
    job = {**jobs[0], "metadata": {k: v for k, v in jobs[0]["metadata"].items() if k != "name"}}
    assert_same(job, subdir_job([*SUBDIRECTORIES, f"/mnt/{SITE}/shared"]))


def test_the_subdirectory_scripts_configmap_has_the_references_key_and_labels() -> None:
    """`provisionSubDirectoryCreator` (subdir.go): ConfigMap `<site>-subdir`, key `subdir-provisioner.sh`."""
    config_map = find(render(site(NFS_SOURCE)).objects, "ConfigMap", f"{SITE}-subdir")
    assert config_map is not None
    assert config_map["metadata"]["labels"] == SITE_LABELS
    assert list(config_map["data"]) == [SUBDIR_SCRIPT_KEY]


def test_the_subdirectory_script_creates_every_directory_it_is_given(tmp_path: Path) -> None:
    """Same effect as the reference's script (`mkdir -p` of each argument); teamop's text is its own."""
    script = tmp_path / SUBDIR_SCRIPT_KEY
    script.write_text(SUBDIR_SCRIPT)
    script.chmod(0o755)
    directories = [tmp_path / "mnt" / SITE / name for name in ("connect", "workbench-shared-storage", "shared")]
    subprocess.run([str(script), *map(str, directories)], check=True, capture_output=True)
    assert all(directory.is_dir() for directory in directories)


def test_the_job_is_named_after_its_directories() -> None:
    """A Job's pod template cannot change: another list of directories is another Job."""
    def job_name(spec: SiteSpec) -> str:
        return next(o["metadata"]["name"] for o in render(spec).objects if o["kind"] == "Job")

    assert job_name(site(NFS_SOURCE)) == job_name(site(NFS_SOURCE))
    assert job_name(site(NFS_SOURCE)) != job_name(site(NFS_SOURCE, sharedDirectory="team"))


def test_volume_subdir_job_off_keeps_the_claim_and_script_but_runs_no_job() -> None:
    rendered = render(site(NFS_SOURCE, volumeSubdirJobOff=True))
    assert {(o["kind"], o["metadata"]["name"]) for o in rendered.objects
            if o["kind"] in ("PersistentVolumeClaim", "ConfigMap", "Job")} == {
        ("PersistentVolumeClaim", f"{SITE}-subdir"), ("ConfigMap", f"{SITE}-subdir")}
    assert len(rendered.cluster_objects) == 4


def test_an_nfs_site_points_the_products_at_their_volumes() -> None:
    rendered = render(site(NFS_SOURCE, sharedDirectory="team"))
    assert product(rendered, "Connect")["volume"] == product_volume(f"{SITE}-connect-nfs", f"{SITE}-connect")
    assert product(rendered, "Workbench")["volume"] == product_volume(f"{SITE}-workbench-nfs", f"{SITE}-workbench")
    shared = shared_directory_volume(f"{SITE}-shared-nfs")
    assert product(rendered, "Connect")["additionalVolumes"] == [shared]
    assert product(rendered, "Workbench")["additionalVolumes"] == [shared]


def test_the_sites_own_volume_settings_are_kept_beside_the_forced_ones() -> None:
    """`reconcileConnect` keeps the section's `volume` and overrides create, access modes, PV and class."""
    rendered = render(site(NFS_SOURCE, connect={"volume": {"size": "3Gi", "accessModes": ["ReadWriteOnce"],
                                                           "pvcName": "ignored-when-created"}}))
    assert product(rendered, "Connect")["volume"] == product_volume(
        f"{SITE}-connect-nfs", f"{SITE}-connect", size="3Gi", pvcName="ignored-when-created")


def test_the_workbench_additional_volumes_follow_the_shared_directory() -> None:
    own = {"pvcName": "datasets", "mountPath": "/mnt/datasets"}
    rendered = render(site(NFS_SOURCE, sharedDirectory="team", workbench={"additionalVolumes": [own]}))
    assert product(rendered, "Workbench")["additionalVolumes"] == [shared_directory_volume(f"{SITE}-shared-nfs"),
                                                                   own]


def test_the_shared_directory_claim_binds_its_nfs_volume() -> None:
    rendered = render(site(NFS_SOURCE, sharedDirectory="team"))
    assert_same(find(rendered.objects, "PersistentVolumeClaim", f"{SITE}-shared"),
                site_claim(f"{SITE}-shared", "10Gi", f"{SITE}-shared-nfs", f"{SITE}-shared"))


def test_the_products_claims_bind_the_nfs_volumes_by_name() -> None:
    rendered = render(site(NFS_SOURCE, sharedDirectory="team"))
    expected = [
        product_claim("Connect", f"{SITE}-connect", "2Gi", f"{SITE}-connect-nfs", f"{SITE}-connect"),
        product_claim("Workbench", f"{SITE}-workbench", "2Gi", f"{SITE}-workbench-nfs", f"{SITE}-workbench"),
        product_claim("Workbench", f"{SITE}-workbench-shared-storage", "10Gi",
                      f"{SITE}-workbench-shared-storage-nfs", f"{SITE}-workbench-shared-storage"),
    ]
    claims = connect_claims(rendered) + workbench_claims(rendered)
    assert [c["metadata"]["name"] for c in claims] == [c["metadata"]["name"] for c in expected]
    for ours, theirs in zip(claims, expected, strict=True):
        assert_same(ours, theirs)


def test_a_product_claim_larger_than_the_references_volume_gets_a_volume_that_fits() -> None:
    """The reference's PV is 10Gi whatever the claim: a larger claim never binds there."""
    rendered = render(site(NFS_SOURCE, connect={"volume": {"size": "100Gi"}}))
    connect_volume = find(rendered.cluster_objects, "PersistentVolume", f"{SITE}-connect")
    assert connect_volume is not None
    assert connect_volume["spec"]["capacity"] == {"storage": "100Gi"}


# --- FSx for OpenZFS ---------------------------------------------------------------------------------------------
def test_an_fsx_site_gets_static_csi_volumes_whose_class_is_their_name() -> None:
    rendered = render(site(FSX_SOURCE, sharedDirectory="team"))
    expected = [
        fsx_pv(SITE, "fsx/", "1Gi"),
        fsx_pv(f"{SITE}-connect", f"fsx/{SITE}/connect", "10Gi"),
        fsx_pv(f"{SITE}-workbench", f"fsx/{SITE}/workbench", "10Gi"),
        fsx_pv(f"{SITE}-workbench-shared-storage", f"fsx/{SITE}/workbench-shared-storage", "10Gi"),
        fsx_pv(f"{SITE}-shared", f"fsx/{SITE}/shared", "10Gi"),
    ]
    assert [pv["metadata"]["name"] for pv in rendered.cluster_objects] == [pv["metadata"]["name"] for pv in expected]
    for ours, theirs in zip(rendered.cluster_objects, expected, strict=True):
        assert_same(ours, theirs)


def test_an_fsx_site_creates_the_subdirectories_through_its_root_volume() -> None:
    """`provisionSubDirectoryCreator(..., site.Name)`: the claim's class is the root PV's, the Site's name."""
    rendered = render(site(FSX_SOURCE))
    assert_same(find(rendered.objects, "PersistentVolumeClaim", f"{SITE}-subdir"),
                site_claim(f"{SITE}-subdir", "1Gi", SITE, SITE))
    job = next(o for o in rendered.objects if o["kind"] == "Job")
    assert job["spec"]["template"]["spec"]["containers"][0]["args"] == SUBDIRECTORIES


def test_an_fsx_sites_products_and_shared_directory_claim_its_volumes() -> None:
    rendered = render(site(FSX_SOURCE, sharedDirectory="team"))
    assert product(rendered, "Connect")["volume"] == product_volume(f"{SITE}-connect", f"{SITE}-connect")
    assert product(rendered, "Workbench")["volume"] == product_volume(f"{SITE}-workbench", f"{SITE}-workbench")
    assert product(rendered, "Connect")["additionalVolumes"] == [shared_directory_volume(f"{SITE}-shared")]
    assert_same(find(rendered.objects, "PersistentVolumeClaim", f"{SITE}-shared"),
                site_claim(f"{SITE}-shared", "10Gi", f"{SITE}-shared", f"{SITE}-shared"))
    assert not [o for o in rendered.objects if o["kind"] == "StorageClass"]


def test_an_fsx_sites_claims_bind_its_volumes_whose_class_is_their_name() -> None:
    """As the reference, except Workbench's shared storage: the reference claims it with class `<pv>-nfs`,
    which its own FSx PV (class `<pv>`) never satisfies; teamop uses the PV's class."""
    rendered = render(site(FSX_SOURCE))
    expected = [
        product_claim("Connect", f"{SITE}-connect", "2Gi", f"{SITE}-connect", f"{SITE}-connect"),
        product_claim("Workbench", f"{SITE}-workbench", "2Gi", f"{SITE}-workbench", f"{SITE}-workbench"),
        product_claim("Workbench", f"{SITE}-workbench-shared-storage", "10Gi",
                      f"{SITE}-workbench-shared-storage", f"{SITE}-workbench-shared-storage"),
    ]
    for ours, theirs in zip(connect_claims(rendered) + workbench_claims(rendered), expected, strict=True):
        assert_same(ours, theirs)


# --- Azure NetApp ------------------------------------------------------------------------------------------------
def test_an_azure_netapp_site_makes_no_volume_and_claims_azure_netapp_files_at_its_minimum() -> None:
    rendered = render(site(AZURE_SOURCE, sharedDirectory="team"))
    assert rendered.cluster_objects == []
    assert not [o for o in rendered.objects if o["kind"] in ("Job", "ConfigMap")]
    assert find(rendered.objects, "PersistentVolumeClaim", f"{SITE}-subdir") is None
    assert product(rendered, "Connect")["volume"] == product_volume(
        "azure-netapp-files", f"{SITE}-connect", size="50Gi")
    assert product(rendered, "Workbench")["volume"] == product_volume(
        "azure-netapp-files", f"{SITE}-workbench", size="50Gi")
    assert product(rendered, "Connect")["additionalVolumes"] == [shared_directory_volume("azure-netapp-files")]
    assert_same(find(rendered.objects, "PersistentVolumeClaim", f"{SITE}-shared"),
                site_claim(f"{SITE}-shared", "10Gi", "azure-netapp-files", f"{SITE}-shared"))


def test_an_azure_netapp_sites_product_claims_are_of_its_class_at_50gi() -> None:
    claim = next(c for c in connect_claims(render(site(AZURE_SOURCE))) if c["metadata"]["name"] == f"{SITE}-connect")
    assert_same(claim, product_claim("Connect", f"{SITE}-connect", "50Gi", "azure-netapp-files", f"{SITE}-connect"))


# --- no volume source, and what is made once ----------------------------------------------------------------------
def test_without_a_volume_source_the_products_keep_their_own_volume_and_no_volume_is_made() -> None:
    rendered = render(site(None, connect={"volume": {"create": True, "size": "3Gi"}}))
    assert rendered.cluster_objects == []
    assert product(rendered, "Connect")["volume"] == {"create": True, "size": "3Gi"}
    assert "volume" not in product(rendered, "Workbench")


def test_without_a_volume_source_the_shared_directory_is_claimed_from_the_default_class() -> None:
    """The reference names a PV and class `<site>-shared` that nothing makes; teamop's claim can bind."""
    rendered = render(site(None, sharedDirectory="team"))
    claim = find(rendered.objects, "PersistentVolumeClaim", f"{SITE}-shared")
    assert claim is not None
    assert claim["spec"] == {"accessModes": ["ReadWriteMany"], "resources": {"requests": {"storage": "10Gi"}}}


@pytest.mark.parametrize("source", [NFS_SOURCE, FSX_SOURCE, AZURE_SOURCE, None], ids=["nfs", "fsx", "azure", "none"])
def test_the_shared_directory_claim_is_the_sites_and_no_products(source: dict[str, Any] | None) -> None:
    rendered = render(site(source, sharedDirectory="team"))
    assert find(rendered.objects, "PersistentVolumeClaim", f"{SITE}-shared") is not None
    names = [c["metadata"]["name"] for c in connect_claims(rendered) + workbench_claims(rendered)]
    assert f"{SITE}-shared" not in names


@pytest.mark.parametrize(("source", "missing"), [({"type": "nfs"}, "dnsName"),
                                                  ({"type": "fsx-zfs", "dnsName": FSX_NFS_SERVER}, "volumeId")])
def test_a_volume_source_missing_its_address_makes_nothing_and_says_which_field(
    source: dict[str, Any], missing: str
) -> None:
    rendered = render(site(source))
    assert rendered.cluster_objects == []
    notice = next(n for n in rendered.notices if n.condition == "StorageReady")
    assert (notice.reason, notice.warning) == ("VolumeSourceIncomplete", True)
    assert missing in notice.message
