"""Somnia as a Model Context Protocol server: an MCP client (a desktop or coding agent) gets tools to
remember, recall, warm its context, report what helped or misled, and forget."""
