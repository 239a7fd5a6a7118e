import warnings
from pathlib import Path

import pytest

import ragkit
from ragkit.server.embedded import EmbeddedServer


def test_embedded_server_serves_the_api_over_loopback_and_persists(tmp_path: Path) -> None:
    with EmbeddedServer(tmp_path, embedder="hash") as server:
        assert server.base_url.startswith("http://127.0.0.1:")
        with ragkit.Client(base_url=server.base_url, api_key="local") as client:
            corpus = client.corpora.create(display_name="Embedded")
            document = client.corpora.documents.create(corpus.name, display_name="Notes")
            client.corpora.documents.chunks.batch_create(
                document.name, [{"data": {"stringValue": "Checkpoints move the WAL back."}}]
            )
    # A second server on the same directory sees what the first one stored.
    with EmbeddedServer(tmp_path, embedder="hash") as server:
        with ragkit.Client(base_url=server.base_url, api_key="local") as client:
            result = client.corpora.query(corpus.name, "what do checkpoints do?")
            assert [c.chunk.data.string_value for c in result.relevant_chunks] == [  # type: ignore[union-attr]
                "Checkpoints move the WAL back."
            ]


def test_stopped_server_refuses_connections(tmp_path: Path) -> None:
    server = EmbeddedServer(tmp_path, embedder="hash").start()
    base_url = server.base_url
    server.stop()
    server.stop()  # idempotent
    with ragkit.Client(base_url=base_url, api_key="local", max_retries=0) as client:
        with pytest.raises(ragkit.APIConnectionError):
            list(client.corpora.list())


def test_embedded_server_with_plaintext_grpc(tmp_path: Path) -> None:
    import grpc

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FutureWarning)
        from google.ai import generativelanguage_v1beta as glm

    with EmbeddedServer(tmp_path, embedder="hash", grpc=True, grpc_plaintext=True) as server:
        assert server.grpc_target is not None and server.grpc_ca_file is None
        with grpc.insecure_channel(server.grpc_target) as channel:
            get_model = channel.unary_unary(
                "/google.ai.generativelanguage.v1beta.ModelService/GetModel",
                request_serializer=glm.GetModelRequest.pb().SerializeToString,
                response_deserializer=glm.Model.pb().FromString,
            )
            assert get_model(glm.GetModelRequest.pb()(name="models/aqa")).name == "models/aqa"
            with pytest.raises(grpc.RpcError) as caught:
                get_model(glm.GetModelRequest.pb()(name="models/nope"))
            assert caught.value.code() == grpc.StatusCode.NOT_FOUND
