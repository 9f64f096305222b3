"""`python -m factcheck` runs the same CLI as the `factcheck` script."""

from factcheck.cli import main

if __name__ == "__main__":
    main()
