from faceatlas.cli.app import main

main()
