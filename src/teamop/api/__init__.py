"""The custom resources of group core.posit.team as pydantic models, and CRD generation."""
