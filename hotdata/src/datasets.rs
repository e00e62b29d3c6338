//! Dataset calls the generated builders cannot express.

use reqwest::Method;

use crate::client::Client;
use crate::error::Error;
use crate::generated::types;
use crate::http;
use crate::results::encode_segment;

const UPDATE_DATASET: &str = "update_dataset";

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
        let path = format!("/v1/datasets/{}", encode_segment(id));
        let request = http::request(self, Method::PUT, &path).json(&serde_json::json!({ "pinned_version": null }));
        let response = http::send(self, UPDATE_DATASET, request).await?;
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let body = http::read_body(UPDATE_DATASET, response).await?;
        serde_json::from_slice(&body)
            .map_err(|e| Error::decode(UPDATE_DATASET, Some(status), Some(&headers), "", e.to_string(), &body))
    }
}
