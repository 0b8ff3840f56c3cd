"""`python -m graphflow` runs the command-line tool."""

from graphflow.cli.main import main

main()
