//! One TLS provider for the whole process. sqlx, bollard, reqwest and object_store all speak TLS
//! through rustls; with ring as the only provider compiled in, rustls still wants it installed
//! before reqwest builds a client (reqwest 0.13 offers no ring feature of its own).

/// Installs ring as the process's rustls provider; harmless when one is installed already.
pub fn install() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let _ = rustls::crypto::ring::default_provider().install_default();
    });
}

/// A reqwest client builder, with the provider installed first.
pub fn http_client() -> reqwest::ClientBuilder {
    install();
    reqwest::Client::builder()
}
