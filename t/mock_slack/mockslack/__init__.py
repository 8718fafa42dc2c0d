"""Mock Slack for the mod_nexte_slack test suite (see ../README.md and ../mock_slack.py).

Modules:
  blockkit  - Block Kit validation, the checks behind invalid_blocks
  world     - all mutable state (app, teams, channels, tokens, messages, calls, stats, failure modes)
  webapi    - Slack semantics of the API port (Web API methods, OAuth consent page, response_url)
  control   - the JSON control API of the control port
  server    - HTTP/1.1 plumbing, listeners (including the outage switch), process lifecycle
"""
