"""The database: engine and transaction rules, table definitions, migrations."""
