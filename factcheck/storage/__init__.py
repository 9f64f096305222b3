"""The database: tables, engines and migrations, and every query that reads or writes rows."""
