//! Dataset calls the generated builders cannot express.

use crate::client::Client;
use crate::error::Error;
use crate::generated::operations::UPDATE_DATASET;
use crate::generated::types;
use crate::transport;

impl Client {
    /// Removes a dataset's version pin, so queries read its latest version
    /// again (`PUT /v1/datasets/{id}` with `{"pinned_version": null}`).
    ///
    /// The generated `update_dataset()` leaves an unset `pinned_version` out
    /// of the body, which the API reads as "keep the current pin"; only an
    /// explicit `null` removes it. Pin a version with
    /// `update_dataset().id(id).body_map(|b| b.pinned_version(Some(v)))`.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let ds = client.unpin_dataset("ds_abc123").await?;
    /// assert_eq!(ds.pinned_version, None);
    /// # Ok(()) }
    /// ```
    pub async fn unpin_dataset(&self, id: &str) -> Result<types::UpdateDatasetResponse, Error> {
        let request = self
            .request(&UPDATE_DATASET, &[id])?
            .json(&serde_json::json!({ "pinned_version": null }));
        let response = self.execute_ok(UPDATE_DATASET.id, request).await?;
        Ok(
            transport::decode_json::<types::UpdateDatasetResponse>(UPDATE_DATASET.id, response)
                .await?
                .into_inner(),
        )
    }
}
