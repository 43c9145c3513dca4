"""The replica web's own TLS: a CA and one leaf certificate naming every replica host, made at start-up.

    tls = ReplicaTLS(hosts)          # EC P-256 keys, the leaf signed by the CA, valid for 30 days
    tls.server_context()             # ssl.SSLContext for the CONNECT tunnels
    tls.ca_file                      # PEM of the CA: what a client trusts (urllib, curl --cacert)
    tls.spki                         # base64 sha256 of the leaf's public key: Chromium's
                                     #   --ignore-certificate-errors-spki-list=<spki>
    tls.close()                      # removes the files

Made with `cryptography` (a dependency of Scrapy already). Nothing here is secret or lasting: the keys
live as long as the server.
"""
from __future__ import annotations

import base64
import datetime as dt
import hashlib
import ipaddress
import shutil
import ssl
import tempfile
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


def _name(cn: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.ORGANIZATION_NAME, "nianbao replica web"),
                      x509.NameAttribute(NameOID.COMMON_NAME, cn)])


class ReplicaTLS:
    def __init__(self, hosts: list[str], days: int = 30):
        now = dt.datetime.now(dt.timezone.utc) - dt.timedelta(hours=1)
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = (x509.CertificateBuilder().subject_name(_name("nianbao replica CA")).issuer_name(_name("nianbao replica CA"))
              .public_key(ca_key.public_key()).serial_number(x509.random_serial_number())
              .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
              .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
              .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                           content_commitment=False, key_encipherment=False,
                                           data_encipherment=False, key_agreement=False,
                                           encipher_only=False, decipher_only=False), critical=True)
              .add_extension(x509.SubjectKeyIdentifier.from_public_key(ca_key.public_key()), critical=False)
              .sign(ca_key, hashes.SHA256()))
        key = ec.generate_private_key(ec.SECP256R1())
        names = [x509.DNSName(h) for h in hosts] + [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]
        leaf = (x509.CertificateBuilder().subject_name(_name(hosts[0] if hosts else "replica")).issuer_name(ca.subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now).not_valid_after(now + dt.timedelta(days=days))
                .add_extension(x509.SubjectAlternativeName(names), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        self.dir = Path(tempfile.mkdtemp(prefix="replica-tls-"))
        self.ca_file = str(self.dir / "ca.pem")
        self.cert_file = str(self.dir / "cert.pem")
        self.key_file = str(self.dir / "key.pem")
        pem = serialization.Encoding.PEM
        Path(self.ca_file).write_bytes(ca.public_bytes(pem))
        Path(self.cert_file).write_bytes(leaf.public_bytes(pem) + ca.public_bytes(pem))
        Path(self.key_file).write_bytes(key.private_bytes(pem, serialization.PrivateFormat.PKCS8,
                                                          serialization.NoEncryption()))
        spki = key.public_key().public_bytes(serialization.Encoding.DER,
                                             serialization.PublicFormat.SubjectPublicKeyInfo)
        self.spki = base64.b64encode(hashlib.sha256(spki).digest()).decode()

    def server_context(self) -> ssl.SSLContext:
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(self.cert_file, self.key_file)
        ctx.set_alpn_protocols(["http/1.1"])
        return ctx

    def client_context(self) -> ssl.SSLContext:
        """A client context trusting only the replica's CA (for tests and curl-like clients)."""
        return ssl.create_default_context(cafile=self.ca_file)

    def close(self) -> None:
        shutil.rmtree(self.dir, ignore_errors=True)
