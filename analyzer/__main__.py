"""`python -m analyzer` runs the novatrace command line."""

from analyzer.cli import main

main()
