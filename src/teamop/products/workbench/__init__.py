"""Posit Workbench: rendering of the Workbench CR into its objects and configuration files.

- `render(spec, context) -> WorkbenchRendered` — every object (pure; the controller applies them). Secrets
  whose files need a secret value come with `secret_templates`; fill them with `fill_secret_template`.
- `secret_needs(spec)` — the secret keys the controller resolves (site secret) or generates before rendering.
- `workbench_spec_from_site(...)` — the Workbench CR's spec the Site controller writes for a Site.
"""

from teamop.products.workbench.effective import WorkbenchSpecError
from teamop.products.workbench.from_site import SiteInputs, workbench_spec_from_site
from teamop.products.workbench.placeholders import MissingSecretValue, SecretTemplate, fill_secret_template
from teamop.products.workbench.render import WorkbenchRendered, render
from teamop.products.workbench.secrets import secret_needs

__all__ = [
    "MissingSecretValue",
    "SecretTemplate",
    "SiteInputs",
    "WorkbenchRendered",
    "WorkbenchSpecError",
    "fill_secret_template",
    "render",
    "secret_needs",
    "workbench_spec_from_site",
]
