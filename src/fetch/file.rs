//! `file://` sources and their item links: local reads under the same size
//! cap as HTTP bodies. Whether a read is allowed is decided by the caller.

use tokio::io::AsyncReadExt;
use url::Url;

use super::FetchError;

/// Reads the file `url` names; over `limit` bytes is `TooLarge`.
pub(super) async fn read_capped(url: &Url, limit: u64) -> Result<Vec<u8>, FetchError> {
    let io_error = |source| FetchError::File { url: url.clone(), source };
    let path = url
        .to_file_path()
        .map_err(|()| io_error(std::io::Error::new(std::io::ErrorKind::InvalidInput, "not a local file path")))?;
    let file = tokio::fs::File::open(&path).await.map_err(io_error)?;
    let length = file.metadata().await.map_err(io_error)?.len();
    if length > limit {
        return Err(FetchError::TooLarge { url: url.clone(), limit });
    }
    // The file may grow between stat and read; read one byte past the limit
    // to notice.
    let mut bytes = Vec::with_capacity(usize::try_from(length).unwrap_or(0));
    file.take(limit.saturating_add(1)).read_to_end(&mut bytes).await.map_err(io_error)?;
    if u64::try_from(bytes.len()).unwrap_or(u64::MAX) > limit {
        return Err(FetchError::TooLarge { url: url.clone(), limit });
    }
    Ok(bytes)
}
