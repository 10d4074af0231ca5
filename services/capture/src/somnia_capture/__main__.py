from somnia_capture.main import run

run()
