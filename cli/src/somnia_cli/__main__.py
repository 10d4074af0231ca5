from somnia_cli.app import main

main()
