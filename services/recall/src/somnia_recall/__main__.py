from somnia_recall.main import run

run()
