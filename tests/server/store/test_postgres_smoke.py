from ragkit.server.store.pg_migrations import PG_MIGRATIONS
from ragkit.server.store.postgres import PostgresDatabase
from ragkit.server.store.settings import get_setting, put_setting


def test_smoke(postgres_url: str) -> None:
    db = PostgresDatabase(postgres_url, "ragkit", PG_MIGRATIONS)
    with db.write() as conn:
        put_setting(conn, "k", "v")
    with db.read() as conn:
        assert get_setting(conn, "k") == "v"
    db.close()
