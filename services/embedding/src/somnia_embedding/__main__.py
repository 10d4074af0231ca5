from somnia_embedding.main import run

run()
