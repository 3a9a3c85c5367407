"""prompts: Jinja2 templates for every LLM prompt and template draft, and the drafting service
(one typed LLM seam, validation, fallback). Public names live in `prompts.drafting`."""
