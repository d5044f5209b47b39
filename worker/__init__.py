"""The RQ worker: same codebase as the web, started with another command."""
