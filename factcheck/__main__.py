"""`python -m factcheck` runs the same CLI as the `factcheck` script."""

from factcheck.cli import main

main()
