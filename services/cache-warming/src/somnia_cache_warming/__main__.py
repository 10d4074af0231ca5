from somnia_cache_warming.main import run

run()
