//! Private CAs: a TLS server started in the test, with a certificate
//! issued by a CA made in the test. Unknown to the system, it fails as
//! `tls`; trusted with `--cacert` (or `SSL_CERT_FILE`), it is ok, over
//! HTTP/2 when the server offers it.

use crate::support;

use crate::support::{kind, run, trawl};
use axum::Router;
use axum::extract::Request;
use axum::response::Html;
use rcgen::{
    BasicConstraints, CertificateParams, CertifiedIssuer, DnType, IsCa, KeyPair, KeyUsagePurpose,
};
use std::net::SocketAddr;
use std::sync::Arc;
use tokio_rustls::TlsAcceptor;
use tokio_rustls::rustls;
use tokio_rustls::rustls::pki_types::{PrivateKeyDer, PrivatePkcs8KeyDer};

/// A CA and a server certificate for 127.0.0.1 that it issued.
struct Pki {
    ca_pem: String,
    server_der: rustls::pki_types::CertificateDer<'static>,
    server_key: KeyPair,
}

fn make_pki() -> Pki {
    let mut ca = CertificateParams::new(Vec::<String>::new()).expect("ca params");
    ca.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca.distinguished_name
        .push(DnType::CommonName, "trawl test CA");
    ca.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca = CertifiedIssuer::self_signed(ca, KeyPair::generate().expect("ca key")).expect("ca");
    let server_key = KeyPair::generate().expect("key");
    let params = CertificateParams::new(vec!["127.0.0.1".to_owned(), "localhost".to_owned()])
        .expect("params");
    let server = params.signed_by(&server_key, &ca).expect("server cert");
    Pki {
        ca_pem: ca.pem(),
        server_der: server.der().clone(),
        server_key,
    }
}

/// A TLS listener for axum: a connection is handed over once its
/// handshake is done; failed handshakes (an untrusting client) are
/// dropped.
struct TlsListener {
    tcp: tokio::net::TcpListener,
    acceptor: TlsAcceptor,
}

impl axum::serve::Listener for TlsListener {
    type Io = tokio_rustls::server::TlsStream<tokio::net::TcpStream>;
    type Addr = SocketAddr;

    async fn accept(&mut self) -> (Self::Io, SocketAddr) {
        loop {
            let Ok((tcp, addr)) = self.tcp.accept().await else {
                continue;
            };
            if let Ok(tls) = self.acceptor.accept(tcp).await {
                return (tls, addr);
            }
        }
    }

    fn local_addr(&self) -> std::io::Result<SocketAddr> {
        self.tcp.local_addr()
    }
}

/// Starts an HTTPS server on 127.0.0.1 offering h2 and http/1.1; each
/// page's title is the HTTP version it was asked over.
fn https_server(pki: &Pki) -> SocketAddr {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let key = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(pki.server_key.serialize_der()));
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("versions")
        .with_no_client_auth()
        .with_single_cert(vec![pki.server_der.clone()], key)
        .expect("server config");
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    let acceptor = TlsAcceptor::from(Arc::new(config));
    let std_listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    std_listener.set_nonblocking(true).expect("nonblocking");
    let addr = std_listener.local_addr().expect("addr");
    std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .expect("runtime");
        rt.block_on(async move {
            let tcp = tokio::net::TcpListener::from_std(std_listener).expect("listener");
            let app = Router::new().fallback(|req: Request| async move {
                Html(format!("<title>{:?}</title>", req.version()))
            });
            axum::serve(TlsListener { tcp, acceptor }, app)
                .await
                .expect("serve");
        });
    });
    addr
}

fn ca_file(pki: &Pki) -> tempfile::NamedTempFile {
    let mut f = tempfile::NamedTempFile::new().expect("tmp");
    std::io::Write::write_all(&mut f, pki.ca_pem.as_bytes()).expect("write");
    f
}

#[test]
fn an_unknown_ca_is_a_tls_error_and_cacert_makes_it_ok_over_http2() {
    let pki = make_pki();
    let addr = https_server(&pki);
    let url = format!("https://{addr}/page");

    let (recs, _, code) = run(&["-t", "10s", &url], "");
    assert_eq!(code, 1);
    assert_eq!(kind(&recs[0]), "tls", "{}", recs[0]);

    let ca = ca_file(&pki);
    let ca_path = ca.path().to_str().expect("utf-8 path");
    let (recs, stderr, code) = run(&["-t", "10s", "--cacert", ca_path, &url], "");
    assert_eq!(code, 0, "{stderr}\n{recs:?}");
    assert_eq!(recs[0]["ok"], true, "{}", recs[0]);
    assert_eq!(recs[0]["title"], "HTTP/2.0", "{}", recs[0]);

    // A bundle: another CA first, ours second.
    let other = make_pki();
    let mut bundle = tempfile::NamedTempFile::new().expect("tmp");
    std::io::Write::write_all(
        &mut bundle,
        format!("{}\n{}", other.ca_pem, pki.ca_pem).as_bytes(),
    )
    .expect("write");
    let bundle_path = bundle.path().to_str().expect("utf-8 path");
    let (recs, stderr, code) = run(&["-t", "10s", "--cacert", bundle_path, &url], "");
    assert_eq!(code, 0, "{stderr}\n{recs:?}");

    // Only the other CA: still unknown.
    let wrong = ca_file(&other);
    let wrong_path = wrong.path().to_str().expect("utf-8 path");
    let (recs, _, code) = run(&["-t", "10s", "--cacert", wrong_path, &url], "");
    assert_eq!(code, 1);
    assert_eq!(kind(&recs[0]), "tls", "{}", recs[0]);
}

#[test]
fn ssl_cert_file_is_honoured_as_curl_users_expect() {
    let pki = make_pki();
    let addr = https_server(&pki);
    let url = format!("https://{addr}/page");
    let ca = ca_file(&pki);
    let out = trawl()
        .env("SSL_CERT_FILE", ca.path())
        .args(["-t", "10s", &url])
        .output()
        .expect("run");
    let recs = support::records(&out.stdout);
    assert_eq!(recs[0]["ok"], true, "{}", recs[0]);

    let dir = tempfile::tempdir().expect("dir");
    std::fs::write(dir.path().join("ca.pem"), &pki.ca_pem).expect("write");
    let out = trawl()
        .env("SSL_CERT_DIR", dir.path())
        .args(["-t", "10s", &url])
        .output()
        .expect("run");
    let recs = support::records(&out.stdout);
    assert_eq!(recs[0]["ok"], true, "{}", recs[0]);
}

#[test]
fn an_unusable_cacert_file_is_a_usage_error_before_any_request() {
    let dir = tempfile::tempdir().expect("dir");
    let garbage = dir.path().join("garbage.pem");
    std::fs::write(&garbage, "not a certificate\n").expect("write");
    let broken = dir.path().join("broken.pem");
    std::fs::write(
        &broken,
        "-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n",
    )
    .expect("write");
    let missing = dir.path().join("missing.pem");
    let server = support::Server::start();
    for file in [&garbage, &broken, &missing] {
        let (recs, stderr, code) = run(
            &["--cacert", file.to_str().expect("utf-8"), &server.url("/")],
            "",
        );
        assert_eq!(code, 2, "{}: {stderr}", file.display());
        assert!(recs.is_empty());
        assert!(stderr.contains("--cacert"), "{stderr}");
    }
    assert_eq!(server.hits(), 0);
}
