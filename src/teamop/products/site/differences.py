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
    Difference("ConfigMap", "data.job.tpl.body", "The launcher's Job template is teamop's own text (the "
               "reference's comes from Posit's Helm chart and may only be test data here); it declares the same "
               "template version and reads the same session data document (rstudio-library-templates-data.tpl)."),
    Difference("ConfigMap", "data.service.tpl.body", "The launcher's Service template is teamop's own text, for "
               "the same reason as job.tpl; same template version, same session data document."),
)


def allowed_paths(kind: str) -> set[str]:
    """The spec paths of `kind` that may differ from the reference."""
    return {d.path for d in DIFFERENCES if d.kind in (kind, "*") and d.path}
