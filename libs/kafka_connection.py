"""How every Kafka client of a process connects: the bootstrap servers and their security.

One place turns the settings (``KAFKA_SECURITY_PROTOCOL``, ``KAFKA_SASL_*``, ``KAFKA_SSL_*``)
into FastStream's ``security`` object, and the aiokafka keyword arguments are derived from that
same object by FastStream's own mapping: the brokers (:func:`libs.kafka.create_broker`) and the
plain aiokafka clients (topic creation, the broker's epoch, the operations report's lag and
dead letters) cannot connect differently.
"""

import ssl
from dataclasses import dataclass
from typing import Any, Self

from faststream.kafka.security import parse_security
from faststream.security import BaseSecurity, SASLPlaintext, SASLScram256, SASLScram512

from libs.config import KafkaSaslMechanism, PlatformSettings

SASL_SECURITY: dict[KafkaSaslMechanism, type[SASLPlaintext | SASLScram256 | SASLScram512]] = {
    KafkaSaslMechanism.PLAIN: SASLPlaintext,
    KafkaSaslMechanism.SCRAM_SHA_256: SASLScram256,
    KafkaSaslMechanism.SCRAM_SHA_512: SASLScram512,
}


@dataclass(frozen=True)
class KafkaConnection:
    """Where the brokers are and how to reach them; ``security=None`` is PLAINTEXT."""

    bootstrap_servers: str
    security: BaseSecurity | None = None

    @classmethod
    def from_settings(cls, settings: PlatformSettings) -> Self:
        return cls(settings.KAFKA_BOOTSTRAP_SERVERS, kafka_security(settings))

    def with_servers(self, bootstrap_servers: str) -> "KafkaConnection":
        """The same security towards other servers (the embedded stack's, for ``make status``)."""
        return KafkaConnection(bootstrap_servers, self.security)

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for any aiokafka client (producer, consumer, admin)."""
        return {"bootstrap_servers": self.bootstrap_servers, **parse_security(self.security)}


def kafka_security(settings: PlatformSettings) -> BaseSecurity | None:
    """FastStream's security object for the settings (already validated: SASL has its user
    and password, TLS files exist)."""
    protocol = settings.KAFKA_SECURITY_PROTOCOL
    context = _ssl_context(settings) if protocol.uses_tls else None
    if protocol.uses_sasl:
        assert settings.KAFKA_SASL_USERNAME and settings.KAFKA_SASL_PASSWORD
        return SASL_SECURITY[settings.KAFKA_SASL_MECHANISM](
            settings.KAFKA_SASL_USERNAME,
            settings.KAFKA_SASL_PASSWORD.get_secret_value(),
            ssl_context=context,
            use_ssl=protocol.uses_tls,
        )
    if context is not None:
        return BaseSecurity(ssl_context=context)
    return None


def _ssl_context(settings: PlatformSettings) -> ssl.SSLContext:
    """Certificates and host names checked, against the CA file or the system's trust store."""
    context = ssl.create_default_context(cafile=settings.KAFKA_SSL_CA_FILE)
    if settings.KAFKA_SSL_CERT_FILE is not None:
        context.load_cert_chain(settings.KAFKA_SSL_CERT_FILE, settings.KAFKA_SSL_KEY_FILE)
    return context
