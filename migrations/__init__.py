"""The Alembic migrations, shipped inside the package so that a wheel can create a database."""
