"""Dreaming: offline jobs that turn stored sessions into knowledge."""
