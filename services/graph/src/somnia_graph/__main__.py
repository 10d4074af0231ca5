from somnia_graph.main import run

run()
