"""The imperative shell: settings, Slack clients and Block Kit, workflows, scheduler, delivery."""
