"""Test-only servers and helpers: a Slack Web API stand-in, an OpenAI-compatible server,
signed request builders."""
