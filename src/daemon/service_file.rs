//! The service file: while `serve` runs, `{store}/gleaner-service.json`
//! (mode 0600, so only the service's user can read it) says where the
//! service listens and holds a fresh operator token, so that CLI commands
//! run by that user reach the store through the service instead of failing
//! on sled's lock. Written once the server listens, removed at a clean stop;
//! a file left by a killed service is harmless (its token died with the
//! process, and the CLI opens the store itself when it can).

use std::io::Write;
use std::net::SocketAddr;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use crate::web::api::wire::{SERVICE_FILE, ServiceFile};

/// The written file; removes it when dropped (the clean-stop path).
#[derive(Debug)]
pub struct Written {
    path: PathBuf,
}

impl Drop for Written {
    fn drop(&mut self) {
        if let Err(error) = std::fs::remove_file(&self.path) {
            tracing::warn!(path = %self.path.display(), %error, "cannot remove the service file");
        }
    }
}

/// Where a client reaches a server bound to `addr`: a wildcard address on loopback.
pub fn client_url(addr: SocketAddr) -> String {
    let ip = match addr.ip() {
        std::net::IpAddr::V4(v4) if v4.is_unspecified() => std::net::IpAddr::V4(std::net::Ipv4Addr::LOCALHOST),
        std::net::IpAddr::V6(v6) if v6.is_unspecified() => std::net::IpAddr::V6(std::net::Ipv6Addr::LOCALHOST),
        other => other,
    };
    format!("http://{}", SocketAddr::new(ip, addr.port()))
}

/// Writes the file into `store_dir` (temporary file created 0600, then
/// renamed, so no reader ever sees it half written or readable by others).
pub fn write(store_dir: &Path, addr: SocketAddr, token: &str) -> std::io::Result<Written> {
    let content = ServiceFile { url: client_url(addr), token: token.to_owned(), pid: std::process::id() };
    let bytes = serde_json::to_vec_pretty(&content).map_err(std::io::Error::other)?;
    let path = store_dir.join(SERVICE_FILE);
    let temp = store_dir.join(format!(".{SERVICE_FILE}.tmp"));
    let _ = std::fs::remove_file(&temp);
    let mut file = std::fs::OpenOptions::new().write(true).create_new(true).mode(0o600).open(&temp)?;
    file.write_all(&bytes)?;
    file.sync_all()?;
    std::fs::rename(&temp, &path)?;
    Ok(Written { path })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_file_is_private_and_removed_when_dropped() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().expect("temp dir");
        let written = write(dir.path(), "0.0.0.0:8080".parse().expect("addr"), "glt_x").expect("written");
        let path = dir.path().join(SERVICE_FILE);
        let mode = std::fs::metadata(&path).expect("exists").permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        let read: ServiceFile = serde_json::from_slice(&std::fs::read(&path).expect("read")).expect("json");
        assert_eq!(read.url, "http://127.0.0.1:8080");
        assert_eq!(read.token, "glt_x");
        drop(written);
        assert!(!path.exists());
    }
}
