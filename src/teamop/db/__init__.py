"""PostgreSQL provisioning with asyncpg: roles, databases, schemas."""
