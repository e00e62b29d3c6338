//! Dataset conveniences over the generated builders.

use crate::Nullable;
use crate::client::Client;
use crate::generated::prelude::*;
use crate::generated::types;
use crate::runtime::error::Error;

impl Client {
    /// Removes a dataset's version pin, so queries read its latest version
    /// again (`PUT /v1/datasets/{id}` with `{"pinned_version": null}`).
    ///
    /// Leaving `pinned_version` out of the body keeps the current pin; only
    /// an explicit `null` removes it. This is the generated
    /// `update_dataset()` with the field set to [`Nullable::Null`]; pin a
    /// version with `update_dataset().id(id).body_map(|b| b.pinned_version(v))`.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let ds = client.unpin_dataset("ds_abc123").await?;
    /// assert_eq!(ds.pinned_version, None);
    /// # Ok(()) }
    /// ```
    #[deprecated(
        note = "since 2026-06-19: datasets left the public API; seed-era and local servers still serve them. Load into a managed database table instead"
    )]
    #[allow(deprecated)]
    pub async fn unpin_dataset(&self, id: &str) -> Result<types::UpdateDatasetResponse, Error> {
        let response = self
            .api()
            .update_dataset()
            .id(id)
            .body_map(|b| b.pinned_version(Nullable::<i64>::Null))
            .send()
            .await?;
        Ok(response.into_inner())
    }
}
