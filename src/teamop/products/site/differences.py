"""Where teamop deliberately renders a Site differently from the Go team-operator, each with its reason.

This is the one list of such differences: the reference-parity tests allow exactly these and no others, and the
README's "Moving from the Go operator" section repeats them for users. Anything not listed here must render as the
reference's Site controller does (its `internal/controller/core/site_controller_*.go`).
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Difference:
    kind: str
    """The kind of object the difference concerns ("*" for every kind)."""
    path: str
    """Dotted path inside that object's spec ("" for the object as a whole)."""
    reason: str


DIFFERENCES: tuple[Difference, ...] = (
    Difference("*", "", "Connect, Workbench and Package Manager are deployed only when their Site section is "
               "present: the Go operator creates all of them for every Site, and an absent section gives a "
               "product without licence or image that never starts."),
    Difference("PodDisruptionBudget", "", "A PodDisruptionBudget exists only above one replica: at one replica "
               "the reference's budget (minAvailable 1) blocks every node drain."),
    Difference("*", "metadata.namespace", "Sites work in any namespace; the Go operator only in `posit-team`."),
    Difference("Chronicle", "", "Chronicle is deployed only when `spec.chronicle` is present and its `enabled` (a "
               "teamop field) is not false: the Go operator creates it for every Site."),
    Difference("Connect", "chronicleImage", "Connect gets the Chronicle agent image only when Chronicle is deployed "
               "and `agentImage` is set; the reference writes `agentImage` whether Chronicle runs or not."),
    Difference("PackageManager", "chronicleImage", "Neither operator runs a Chronicle agent next to Package "
               "Manager: the agent image the reference writes into the PackageManager resource is unused, and "
               "left out."),
    Difference("Connect", "sessionConfig.pod.serviceAccountName", "With `spec.connect.experimentalFeatures` "
               "present but no `sessionServiceAccountName`, sessions keep `<site>-connect-session`: the reference "
               "then empties the name and sessions run as the namespace's default ServiceAccount."),
    Difference("Connect", "sessionConfig.pod.imagePullPolicy", "With `spec.connect.experimentalFeatures` present "
               "but no `sessionImagePullPolicy`, sessions keep Connect's pull policy: the reference then empties it."),
    *(Difference(kind, path, "`logFormat: json` gives JSON logs as `JSON` does: the reference compares with "
                 "`JSON` only and writes text logs for the lower-case spelling.")
      for kind, path in (("Connect", "config.Logging.ServiceLogFormat"),
                         ("Connect", "config.Logging.AccessLogFormat"),
                         ("Connect", "config.Logging.AuditLogFormat"),
                         ("Chronicle", "config.Logging.ServiceLogFormat"))),
    Difference("ConfigMap", "data.rstudio-connect.gcfg.[Logging] ServiceLogLevel", "With `debug`, Connect's service "
               "log is raised to DEBUG too; the reference only turns on proxy-header, Tableau and OAuth2 logging."),
    Difference("ConfigMap", "data.posit-chronicle.gcfg.[LocalStorage]", "With an S3 bucket Chronicle's local "
               "storage is switched off (`Enabled = false`): it is on by default, and the reference's S3-backed "
               "Chronicle also writes its data into the container's filesystem, where a restart loses it."),
    Difference("Flightdeck", "image", "Without `spec.flightdeck.image` teamop runs its own image (`teamop "
               "flightdeck serve`, the same contract) instead of docker.io/posit/ptd-flightdeck:latest, a tag that "
               "moves under a running Site."),
    Difference("Flightdeck", "imagePullPolicy", "teamop's own Flightdeck image keeps the kubelet's default pull "
               "policy instead of Always: a dev cluster's locally loaded operator image cannot be pulled."),
    *(Difference(kind, "template.spec.containers.image", "A Connect, Workbench, Package Manager or Chronicle "
                 "resource without `image` runs Posit's public image of the version teamop pins "
                 "(`teamop.products.images`; sessions and the pre-pull DaemonSet follow it): the Go operator "
                 "writes an empty image, which the API server refuses, so the product never starts.")
      for kind in ("Deployment", "StatefulSet")),
    Difference("DaemonSet", "template.spec.imagePullSecrets", "The pre-pull DaemonSet uses the Site's image pull "
               "secrets: without them a private product image cannot be pre-pulled (the reference's init "
               "containers wait in ImagePullBackOff)."),
    Difference("ConfigMap", "data.job.tpl.body", "The launcher's Job template is teamop's own text (the "
               "reference's comes from Posit's Helm chart and may only be test data here); it declares the same "
               "template version and reads the same session data document (rstudio-library-templates-data.tpl)."),
    Difference("ConfigMap", "data.service.tpl.body", "The launcher's Service template is teamop's own text, for "
               "the same reason as job.tpl; same template version, same session data document."),
    Difference("Workbench", "config.workbench-ini-config.logging.conf.*.log-message-format", "`logFormat: json` "
               "gives JSON logs as `JSON` does: the reference compares with `JSON` only and writes pretty logs for "
               "the lower-case spelling its own documentation uses."),
    Difference("Workbench", "config.workbench-profiles-config.launcher.kubernetes.profiles.conf.*.resource-profiles",
               "The resource profiles are offered default first, then smallest to largest, as "
               "launcher.kubernetes.resources.conf lists them; the reference lists them in Go's map order, which "
               "changes from one reconcile to the next."),
    Difference("Workbench", "chronicleImage", "Workbench gets the Chronicle agent image only when Chronicle is "
               "deployed and `agentImage` is set; the reference writes `agentImage` whether Chronicle runs or not."),
    Difference("Workbench", "sessionConfig.pod.imagePullPolicy", "With `spec.workbench.experimentalFeatures` "
               "present but no `sessionImagePullPolicy`, sessions keep Workbench's pull policy: the reference then "
               "empties it."),
    *(Difference("Workbench", f"config.workbench-ini-config.vscode.conf.{key}", "`spec.workbench.vsCodeConfig` "
                 "`enabled`, `exe` and `args` are written when set: the reference's API has them but its Site "
                 "controller ignores them (always `enabled=1`, its own args, `exe` only from "
                 "`experimentalFeatures.vsCodePath`). Unset, teamop writes the reference's values.")
      for key in ("enabled", "exe", "args")),
    Difference("Workbench", "config.workbench-session-ini-config.rsession.conf.default-rsconnect-server", "Without "
               "a Connect section sessions are offered no publishing server: the reference writes "
               "`https://.<domain>`, an address that does not exist."),
    Difference("Workbench", "config.workbench-session-ini-config.repos.conf.CRAN", "Without a Package Manager "
               "section or `packageManagerUrl` sessions keep R's own CRAN setting: the reference writes "
               "`https://.<domain>/cran/__linux__/jammy/latest`, an address that does not exist."),
    Difference("ConfigMap", "data.rserver.conf.auth-saml-sp-attribute-username", "With SAML sign-in and "
               "`auth.samlUsernameAttribute` set, Workbench takes the user name from that attribute (as Connect "
               "does); the reference reads only `auth.usernameClaim` for Workbench, which teamop still uses when "
               "`samlUsernameAttribute` is unset."),
    # Storage (COMPAT.md "Storage"; products/site/volumes.py)
    Difference("PersistentVolume", "metadata.ownerReferences", "The Site's PersistentVolumes carry its labels but no "
               "ownerReference (a namespaced owner cannot own a cluster-scoped object; the garbage collector never "
               "honours it): the Site's finalizer deletes them, and their Retain policy keeps the data."),
    Difference("PersistentVolume", "", "A volume of a product whose Site section is absent is not made (the "
               "reference makes Connect's and Workbench's for every Site); the subdirectory Job still creates "
               "every directory, as the reference's."),
    Difference("PersistentVolume", "capacity.storage", "A product volume is as large as its claim when the claim "
               "asks for more than the reference's 10Gi: a volume smaller than its claim never binds."),
    Difference("Job", "metadata.name", "The subdirectory Job's six-letter suffix follows from the directories it "
               "creates instead of being random: one Job per list of directories, instead of a new Job at every "
               "reconcile."),
    Difference("ConfigMap", "data.subdir-provisioner.sh", "The subdirectory script is teamop's own text with the "
               "same effect (`mkdir -p` of each argument)."),
    *(Difference("PersistentVolumeClaim", path, "Without a volume source the shared directory's claim "
                 "`<site>-shared` (and the additional volume of Connect and Workbench that describes it) comes from "
                 "the cluster's default class: the reference names a volume and class `<site>-shared` that nothing "
                 "makes, so its claim never binds.")
      for path in ("storageClassName", "volumeName")),
    Difference("PersistentVolumeClaim", "storageClassName", "Workbench's shared storage claim on an FSx for "
               "OpenZFS Site has its volume's class `<site>-workbench-shared-storage`: the reference asks for "
               "`<site>-workbench-shared-storage-nfs`, which its own FSx volume never satisfies."),
    # Keycloak (products/site/keycloak.py, products/site/network.py)
    Difference("PostgresDatabase", "url", "Keycloak's database URL names the database server's port "
               "(`postgres://<site>_keycloak@<host>:<port>/<site>_keycloak`): the reference leaves the port out of "
               "Keycloak's URL only, so a server on another port than 5432 is never reached."),
    Difference("PostgresDatabase", "secretVault", "With `secret.type: aws`, Keycloak's database names the Secret "
               "the CSI driver syncs its login into, `<site>-keycloak-db-login`, where the reference names the AWS "
               "secret (its database controller reads AWS itself; teamop reads Kubernetes Secrets only)."),
    Difference("Keycloak", "unsupported.podTemplate.spec.nodeSelector", "`spec.keycloak.nodeSelector` places "
               "Keycloak's pods (through the pod template: the Keycloak resource has no field for it); the "
               "reference ignores it."),
    Difference("Keycloak", "unsupported.podTemplate.spec.containers.*.imagePullPolicy", "`spec.keycloak."
               "imagePullPolicy` is the pull policy of Keycloak's container; the reference ignores it."),
    Difference("NetworkPolicy", "podSelector", "Keycloak's policy `<site>-keycloak` selects the pods the Keycloak "
               "operator makes for `<site>-keycloak` (`app: keycloak`, `app.kubernetes.io/instance: "
               "<site>-keycloak`); the reference's selector (`app.kubernetes.io/instance: <site>`) matches no pod, "
               "so its policy restricts nothing."),
    Difference("NetworkPolicy", "ingress", "Keycloak's policy admits users on its ports 8080 and 8443 from any "
               "namespace, as teamop's other policies do (teamop cannot know the ingress controller's namespace); "
               "the reference admits only the namespaces named `traefik` and `alloy`."),
    Difference("NetworkPolicy", "egress", "Keycloak's policy lets it reach DNS (without which it cannot find a "
               "database named by host name), the database's port on any address (not only 10.0.0.0/8 on 5432) "
               "and identity providers on HTTPS."),
    Difference("NetworkPolicy", "", "Keycloak's policy exists only while `spec.keycloak.enabled` (the reference "
               "makes it for every Site at `networkTrust` 50 or less)."),
)


def allowed_paths(kind: str) -> set[str]:
    """The spec paths of `kind` that may differ from the reference."""
    return {d.path for d in DIFFERENCES if d.kind in (kind, "*") and d.path}
