//! Database scope of query runs and results: under the live contract a record made in a database is read only
//! with that database's `X-Database-Id`, and the lists show one database's records; under the seed-era contract
//! records are unscoped and the header is ignored on these reads.

use super::missing;
use crate::app::{App, Ctx};
use crate::config::Contract;
use crate::reply::ApiError;

/// The `X-Database-Id` of the request, checked for form and for existence (400 and 404).
fn header_database(app: &App, ctx: &Ctx) -> Result<Option<String>, ApiError> {
    let Some(id) = ctx.header("x-database-id") else {
        return Ok(None);
    };
    if id.is_empty() || !id.chars().all(|c| c.is_ascii_alphanumeric() || c == '_' || c == '-') {
        return Err(ApiError::bad_request(format!(
            "`{id}` is not a well-formed database ID"
        )));
    }
    if !app.read_ws(&ctx.ws, |w| w.databases.contains_key(id))? {
        return Err(missing("database", id));
    }
    Ok(Some(id.to_string()))
}

/// Checks that the request may read the `what` record `id`, which is `found` (`Some(owner database)`) or unknown
/// (`None`, left to the caller's 404). Live: a record made in a database needs that database's `X-Database-Id`
/// (400 without, 404 with another one); an unscoped record is read with or without a header; an unknown record
/// without a header is a 400, as the live service asks for the header before it looks. Seed era: always allowed.
pub(crate) fn check_read(
    app: &App,
    ctx: &Ctx,
    found: Option<Option<&str>>,
    what: &str,
    id: &str,
) -> Result<(), ApiError> {
    if app.config.contract == Contract::Seed2026_05 {
        return Ok(());
    }
    match (header_database(app, ctx)?, found) {
        (_, Some(None)) => Ok(()),
        (None, _) => Err(ApiError::bad_request(format!(
            "reading a {what} needs the X-Database-Id header of the database it was made in"
        ))),
        (Some(db), Some(Some(owner))) if db != owner => Err(missing(what, id)),
        (Some(_), _) => Ok(()),
    }
}

/// The database a list of runs or results shows: live, the request's `X-Database-Id` (400 without it); seed
/// era, `None` (every record, the header ignored).
pub(crate) fn list_database(app: &App, ctx: &Ctx, what: &str) -> Result<Option<String>, ApiError> {
    if app.config.contract == Contract::Seed2026_05 {
        return Ok(None);
    }
    match header_database(app, ctx)? {
        Some(db) => Ok(Some(db)),
        None => Err(ApiError::bad_request(format!(
            "listing {what} needs the X-Database-Id header of the database to list"
        ))),
    }
}
