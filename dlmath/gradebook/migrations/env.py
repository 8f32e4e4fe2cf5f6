"""alembic's environment for the project's tables (see dlmath/gradebook/__init__.py)."""

from alembic import context
from sqlalchemy import engine_from_config, pool

config = context.config
VERSION_TABLE = config.get_main_option("version_table") or "dlmath_alembic_version"


def run_migrations_online() -> None:
    engine = engine_from_config(config.get_section(config.config_ini_section) or {},
                                prefix="sqlalchemy.", poolclass=pool.NullPool)
    with engine.connect() as connection:
        context.configure(connection=connection, version_table=VERSION_TABLE,
                          # only our tables: nbgrader's are another history
                          include_name=lambda name, kind, parent: kind != "table"
                          or (name or "").startswith("dlmath_"))
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("the project's tables are migrated online only")
run_migrations_online()
