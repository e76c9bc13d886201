def test_healthz_reports_database_and_queue(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"database": True, "queue": True}


def test_healthz_is_503_when_the_database_does_not_answer(app, tmp_path):
    from matcher import create_app

    broken = create_app(
        {**app.config, "DATABASE_URL": f"sqlite:///{tmp_path}/missing-dir/x/../../nope/db"}
    )
    broken.extensions["certmatch.engine"] = _unreachable_engine()
    response = broken.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] is False


def _unreachable_engine():
    from sqlalchemy import create_engine

    from matcher.embedded_redis import free_port

    return create_engine(
        f"postgresql+psycopg://nobody@127.0.0.1:{free_port()}/none",
        connect_args={"connect_timeout": 1},
    )


def test_every_response_carries_security_headers(client):
    headers = client.get("/").headers
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "no-referrer"
