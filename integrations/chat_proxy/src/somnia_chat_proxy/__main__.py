from somnia_chat_proxy.main import run

run()
