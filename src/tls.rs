//! Optional TLS in the binary (rustls, ring provider), so `https://` and
//! `wss://` work without a proxy: load a PEM certificate chain and key, hand the
//! accept loop (`server`) an acceptor, and swap the certificate in place on
//! [`Tls::reload`] (SIGHUP, wired in `main.rs` and `lib.rs`). Handshakes after a
//! reload present the new certificate; connections already open keep theirs.
//! A reload that fails (a missing file, a key that does not fit) keeps the old
//! certificate and says why.
//!
//! ALPN offers only `http/1.1`: WebSockets upgrade over HTTP/1.1 and the
//! server speaks nothing else.
//!
//! What does not live here: the accept loop and its handshake deadline
//! (`server`), signal handling (`main.rs`).

use rustls::crypto::CryptoProvider;
use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::server::{ClientHello, ResolvesServerCert};
use rustls::sign::CertifiedKey;
use std::path::{Path, PathBuf};
use std::sync::{Arc, RwLock};
use tokio_rustls::TlsAcceptor;

#[derive(Debug, thiserror::Error)]
pub enum TlsError {
    #[error("tls_cert and tls_key go together: give both or neither")]
    Incomplete,
    #[error("reading the TLS certificate {path}: {source}")]
    Cert { path: PathBuf, source: rustls::pki_types::pem::Error },
    #[error("reading the TLS private key {path}: {source}")]
    Key { path: PathBuf, source: rustls::pki_types::pem::Error },
    #[error("the TLS certificate {cert} and key {key} do not fit together: {source}")]
    Mismatch { cert: PathBuf, key: PathBuf, source: rustls::Error },
    #[error("setting up TLS: {0}")]
    Setup(#[from] rustls::Error),
}

/// The certificate new handshakes present; replaced whole on reload.
#[derive(Debug)]
struct CurrentCert(RwLock<Arc<CertifiedKey>>);

impl CurrentCert {
    fn get(&self) -> Arc<CertifiedKey> {
        // A writer cannot panic while holding the lock (it only assigns an Arc).
        self.0.read().unwrap_or_else(|e| e.into_inner()).clone()
    }

    fn set(&self, key: Arc<CertifiedKey>) {
        *self.0.write().unwrap_or_else(|e| e.into_inner()) = key;
    }
}

impl ResolvesServerCert for CurrentCert {
    fn resolve(&self, _hello: ClientHello<'_>) -> Option<Arc<CertifiedKey>> {
        Some(self.get())
    }
}

/// TLS for the accept loop: the acceptor and where its certificate comes from.
pub struct Tls {
    acceptor: TlsAcceptor,
    current: Arc<CurrentCert>,
    cert_path: PathBuf,
    key_path: PathBuf,
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::ring::default_provider())
}

/// Read and check a certificate chain and its key.
fn load(cert: &Path, key: &Path) -> Result<CertifiedKey, TlsError> {
    let chain = CertificateDer::pem_file_iter(cert)
        .and_then(|certs| certs.collect::<Result<Vec<_>, _>>())
        .and_then(|chain| if chain.is_empty() { Err(rustls::pki_types::pem::Error::NoItemsFound) } else { Ok(chain) })
        .map_err(|source| TlsError::Cert { path: cert.into(), source })?;
    let key_der = PrivateKeyDer::from_pem_file(key).map_err(|source| TlsError::Key { path: key.into(), source })?;
    CertifiedKey::from_der(chain, key_der, &provider()).map_err(|source| TlsError::Mismatch {
        cert: cert.into(),
        key: key.into(),
        source,
    })
}

impl Tls {
    /// TLS from the config's `tls_cert` and `tls_key`: `None` when neither is set.
    pub fn from_config(cert: Option<&Path>, key: Option<&Path>) -> Result<Option<Tls>, TlsError> {
        match (cert, key) {
            (None, None) => Ok(None),
            (Some(cert), Some(key)) => Tls::load(cert, key).map(Some),
            _ => Err(TlsError::Incomplete),
        }
    }

    pub fn load(cert: &Path, key: &Path) -> Result<Tls, TlsError> {
        let current = Arc::new(CurrentCert(RwLock::new(Arc::new(load(cert, key)?))));
        let mut config = rustls::ServerConfig::builder_with_provider(provider())
            .with_safe_default_protocol_versions()?
            .with_no_client_auth()
            .with_cert_resolver(current.clone());
        config.alpn_protocols = vec![b"http/1.1".to_vec()];
        Ok(Tls { acceptor: TlsAcceptor::from(Arc::new(config)), current, cert_path: cert.into(), key_path: key.into() })
    }

    /// Read the certificate and key again from the same paths and present them
    /// from the next handshake on. On error the old certificate stays.
    pub fn reload(&self) -> Result<(), TlsError> {
        let fresh = load(&self.cert_path, &self.key_path)?;
        self.current.set(Arc::new(fresh));
        Ok(())
    }

    pub fn acceptor(&self) -> TlsAcceptor {
        self.acceptor.clone()
    }

    /// The end-entity certificate new handshakes present (DER).
    pub fn current_cert(&self) -> CertificateDer<'static> {
        self.current.get().cert[0].clone()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn write_cert(dir: &Path, name: &str) -> (PathBuf, PathBuf, CertificateDer<'static>) {
        let ck = rcgen::generate_simple_self_signed(vec!["localhost".into()]).unwrap();
        let (cert, key) = (dir.join(format!("{name}.crt")), dir.join(format!("{name}.key")));
        std::fs::write(&cert, ck.cert.pem()).unwrap();
        std::fs::write(&key, ck.key_pair.serialize_pem()).unwrap();
        (cert, key, ck.cert.der().clone())
    }

    #[test]
    fn reload_swaps_the_certificate_and_a_bad_reload_keeps_the_old_one() {
        let dir = tempfile::tempdir().unwrap();
        let (cert, key, first) = write_cert(dir.path(), "a");
        let tls = Tls::load(&cert, &key).unwrap();
        assert_eq!(tls.current_cert(), first);
        let (cert_b, key_b, second) = write_cert(dir.path(), "b");
        std::fs::copy(&cert_b, &cert).unwrap();
        std::fs::copy(&key_b, &key).unwrap();
        tls.reload().unwrap();
        assert_eq!(tls.current_cert(), second);
        // A key that does not fit the certificate: refused, the old pair stays.
        let (_, key_c, _) = write_cert(dir.path(), "c");
        std::fs::copy(&key_c, &key).unwrap();
        assert!(matches!(tls.reload(), Err(TlsError::Mismatch { .. })), "a mismatched key is refused");
        std::fs::write(&cert, "not a certificate").unwrap();
        assert!(matches!(tls.reload(), Err(TlsError::Cert { .. })));
        assert_eq!(tls.current_cert(), second);
    }

    #[test]
    fn cert_and_key_go_together() {
        assert!(Tls::from_config(None, None).unwrap().is_none());
        assert!(matches!(Tls::from_config(Some(Path::new("x")), None), Err(TlsError::Incomplete)));
        assert!(matches!(
            Tls::from_config(Some(Path::new("/nonexistent.crt")), Some(Path::new("k"))),
            Err(TlsError::Cert { .. })
        ));
    }
}
