"""The spec side: load (YAML with marks), interpolate (${env}, ${vars.*}), models (pydantic), parse
(validation errors in the user's words, one spec per environment) and schema (the JSON Schema)."""
