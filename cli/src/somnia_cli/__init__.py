"""The `somnia` command: run Somnia on one machine, capture, import and recall from a terminal."""
