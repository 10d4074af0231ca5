from somnia_mcp.main import run

run()
