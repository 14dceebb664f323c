"""Kafka and Temporal security settings: what each client is given, and what is refused."""

import ast
import ssl
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from pydantic import SecretStr, ValidationError
from temporalio.client import Client
from temporalio.service import TLSConfig

from libs.config import Environment, PlatformSettings
from libs.kafka import create_broker
from libs.kafka_connection import KafkaConnection
from libs.temporal import TemporalConnection, TemporalSecurity

REPOSITORY = Path(__file__).resolve().parents[3]
AIOKAFKA_CLIENTS = {"AIOKafkaConsumer", "AIOKafkaProducer", "AIOKafkaAdminClient"}


def settings(**values: Any) -> PlatformSettings:
    return PlatformSettings(_env_file=None, ENVIRONMENT=Environment.TEST, **values)


@pytest.fixture(scope="module")
def pem_files(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """A self-signed certificate and its key, as PEM files (a CA bundle of one)."""
    folder = tmp_path_factory.mktemp("pem")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "eig-test-ca")])
    now = datetime.now(UTC)
    certificate = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(days=1))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .sign(key, hashes.SHA256())
    )
    files = {"cert": folder / "cert.pem", "key": folder / "key.pem"}
    files["cert"].write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    files["key"].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return files


class TestKafkaSecurity:
    def test_plaintext_is_the_default_and_adds_nothing(self) -> None:
        kafka = KafkaConnection.from_settings(settings(KAFKA_BOOTSTRAP_SERVERS="k1:9092,k2:9092"))

        assert kafka.security is None
        assert kafka.client_options() == {"bootstrap_servers": "k1:9092,k2:9092"}

    @pytest.mark.parametrize("mechanism", ["PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512"])
    def test_sasl_ssl_checks_the_broker_against_the_ca_file(
        self, mechanism: str, pem_files: dict[str, Path]
    ) -> None:
        kafka = KafkaConnection.from_settings(
            settings(
                KAFKA_SECURITY_PROTOCOL="SASL_SSL",
                KAFKA_SASL_MECHANISM=mechanism,
                KAFKA_SASL_USERNAME="eig",
                KAFKA_SASL_PASSWORD=SecretStr("s3cret"),
                KAFKA_SSL_CA_FILE=pem_files["cert"],
            )
        )

        options = kafka.client_options()
        context = options.pop("ssl_context")
        assert options == {
            "bootstrap_servers": "127.0.0.1:9092",
            "security_protocol": "SASL_SSL",
            "sasl_mechanism": mechanism,
            "sasl_plain_username": "eig",
            "sasl_plain_password": "s3cret",
        }
        assert isinstance(context, ssl.SSLContext)
        assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
        assert [ca["subject"] for ca in context.get_ca_certs()] == [
            ((("commonName", "eig-test-ca"),),)
        ]

    def test_sasl_in_clear_has_no_tls_context(self) -> None:
        kafka = KafkaConnection.from_settings(
            settings(
                KAFKA_SECURITY_PROTOCOL="SASL_PLAINTEXT",
                KAFKA_SASL_USERNAME="eig",
                KAFKA_SASL_PASSWORD=SecretStr("s3cret"),
            )
        )

        options = kafka.client_options()
        assert options["security_protocol"] == "SASL_PLAINTEXT"
        assert options["sasl_mechanism"] == "PLAIN"
        assert options["ssl_context"] is None

    def test_ssl_with_a_client_certificate_and_the_systems_trust_store(
        self, pem_files: dict[str, Path]
    ) -> None:
        kafka = KafkaConnection.from_settings(
            settings(
                KAFKA_SECURITY_PROTOCOL="SSL",
                KAFKA_SSL_CERT_FILE=pem_files["cert"],
                KAFKA_SSL_KEY_FILE=pem_files["key"],
            )
        )

        options = kafka.client_options()
        assert options["security_protocol"] == "SSL"
        assert "sasl_mechanism" not in options
        assert options["ssl_context"].verify_mode == ssl.CERT_REQUIRED

    def test_the_broker_connects_with_the_same_options_as_the_plain_clients(self) -> None:
        kafka = KafkaConnection.from_settings(
            settings(
                KAFKA_SECURITY_PROTOCOL="SASL_SSL",
                KAFKA_SASL_MECHANISM="SCRAM-SHA-512",
                KAFKA_SASL_USERNAME="eig",
                KAFKA_SASL_PASSWORD=SecretStr("s3cret"),
            )
        )

        broker_options = create_broker(kafka, client_id="test")._connection_kwargs

        for name, value in kafka.client_options().items():
            if name != "bootstrap_servers":
                assert broker_options[name] is value or broker_options[name] == value, name

    @pytest.mark.parametrize(
        ("values", "named"),
        [
            ({}, "needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD"),
            ({"KAFKA_SASL_USERNAME": "eig"}, "needs KAFKA_SASL_PASSWORD"),
            ({"KAFKA_SASL_PASSWORD": SecretStr("s3cret")}, "needs KAFKA_SASL_USERNAME"),
        ],
    )
    @pytest.mark.parametrize("protocol", ["SASL_SSL", "SASL_PLAINTEXT"])
    def test_sasl_without_its_credentials_is_refused_naming_them(
        self, protocol: str, values: dict[str, Any], named: str
    ) -> None:
        with pytest.raises(ValidationError, match=f"KAFKA_SECURITY_PROTOCOL={protocol} {named}"):
            settings(KAFKA_SECURITY_PROTOCOL=protocol, **values)

    def test_tls_files_without_tls_are_refused(self, pem_files: dict[str, Path]) -> None:
        with pytest.raises(ValidationError, match="KAFKA_SSL_CA_FILE set but"):
            settings(KAFKA_SSL_CA_FILE=pem_files["cert"])

    def test_a_missing_file_is_refused_at_start_naming_its_setting(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationError, match="KAFKA_SSL_CA_FILE=.*: no such file"):
            settings(KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CA_FILE=tmp_path / "absent.pem")

    def test_a_client_certificate_needs_its_key(self, pem_files: dict[str, Path]) -> None:
        with pytest.raises(ValidationError, match="KAFKA_SSL_CERT_FILE and KAFKA_SSL_KEY_FILE"):
            settings(KAFKA_SECURITY_PROTOCOL="SSL", KAFKA_SSL_CERT_FILE=pem_files["cert"])

    def test_the_password_is_not_shown(self) -> None:
        configured = settings(
            KAFKA_SECURITY_PROTOCOL="SASL_SSL",
            KAFKA_SASL_USERNAME="eig",
            KAFKA_SASL_PASSWORD=SecretStr("s3cret"),
        )
        assert "s3cret" not in repr(configured)


class TestTemporalSecurity:
    def test_in_clear_by_default(self) -> None:
        assert TemporalSecurity.from_settings(settings()) == TemporalSecurity(tls=False)

    def test_tls_against_the_systems_trust_store(self) -> None:
        security = TemporalSecurity.from_settings(settings(TEMPORAL_TLS=True))

        assert security.tls == TLSConfig()
        assert security.api_key is None

    def test_mutual_tls_reads_the_files_at_start(self, pem_files: dict[str, Path]) -> None:
        security = TemporalSecurity.from_settings(
            settings(
                TEMPORAL_TLS_CA_FILE=pem_files["cert"],
                TEMPORAL_TLS_CERT_FILE=pem_files["cert"],
                TEMPORAL_TLS_KEY_FILE=pem_files["key"],
                TEMPORAL_TLS_SERVER_NAME="temporal.eig.internal",
            )
        )

        assert security.tls == TLSConfig(
            server_root_ca_cert=pem_files["cert"].read_bytes(),
            client_cert=pem_files["cert"].read_bytes(),
            client_private_key=pem_files["key"].read_bytes(),
            domain="temporal.eig.internal",
        )

    def test_an_api_key_goes_with_tls(self) -> None:
        security = TemporalSecurity.from_settings(
            settings(TEMPORAL_TLS=True, TEMPORAL_API_KEY=SecretStr("key-1"))
        )

        assert security.api_key == "key-1"

    def test_an_api_key_in_clear_is_refused(self) -> None:
        with pytest.raises(ValidationError, match="TEMPORAL_API_KEY needs TEMPORAL_TLS=true"):
            settings(TEMPORAL_API_KEY=SecretStr("key-1"))

    def test_a_client_certificate_needs_its_key(self, pem_files: dict[str, Path]) -> None:
        with pytest.raises(ValidationError, match="TEMPORAL_TLS_CERT_FILE and TEMPORAL_TLS_KEY"):
            settings(TEMPORAL_TLS_CERT_FILE=pem_files["cert"])

    def test_a_missing_file_is_refused_naming_its_setting(self, tmp_path: Path) -> None:
        with pytest.raises(ValidationError, match="TEMPORAL_TLS_CA_FILE=.*: no such file"):
            settings(TEMPORAL_TLS_CA_FILE=tmp_path / "absent.pem")

    async def test_the_services_connection_passes_tls_and_key_to_the_sdk(
        self, monkeypatch: pytest.MonkeyPatch
    ) -> None:
        given: dict[str, Any] = {}

        async def fake_connect(target_host: str, **options: Any) -> Client:
            given.update(options, target_host=target_host)
            return object.__new__(Client)

        monkeypatch.setattr(Client, "connect", fake_connect)
        connection = TemporalConnection.from_settings(
            settings(
                TEMPORAL_ADDRESS="eig.tmprl.cloud:7233",
                TEMPORAL_NAMESPACE="eig",
                TEMPORAL_TLS=True,
                TEMPORAL_API_KEY=SecretStr("key-1"),
            )
        )

        await connection.client()

        assert given["target_host"] == "eig.tmprl.cloud:7233"
        assert given["namespace"] == "eig"
        assert given["tls"] == TLSConfig()
        assert given["api_key"] == "key-1"


def production_modules() -> list[Path]:
    return [
        path
        for folder in ("libs", "services", "workflows", "deploy")
        for path in sorted((REPOSITORY / folder).rglob("*.py"))
        if "deploy/local" not in path.as_posix()  # the embedded stack: loopback, in clear
    ]


def call_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Attribute):
        return f"{ast.unparse(func.value)}.{func.attr}"
    return func.id if isinstance(func, ast.Name) else ""


def test_every_plain_kafka_client_takes_the_shared_options() -> None:
    """A client built without ``**kafka.client_options()`` would ignore the security
    settings: connect in clear, or fail against a SASL_SSL broker."""
    unsecured = []
    for path in production_modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.Call) and call_name(node) in AIOKAFKA_CLIENTS:
                spread = [keyword.value for keyword in node.keywords if keyword.arg is None]
                if not any("client_options" in ast.unparse(value) for value in spread):
                    unsecured.append(f"{path.relative_to(REPOSITORY)}:{node.lineno}")
    assert unsecured == []


def test_temporal_clients_connect_only_through_libs_temporal() -> None:
    elsewhere = [
        f"{path.relative_to(REPOSITORY)}:{node.lineno}"
        for path in production_modules()
        if path != REPOSITORY / "libs" / "temporal.py"
        for node in ast.walk(ast.parse(path.read_text()))
        if isinstance(node, ast.Call) and call_name(node) == "Client.connect"
    ]
    assert elsewhere == []
