//! Managed databases as handles: [`Client::database`] gives a [`Database`]
//! that queries, loads, forks and describes one database, and
//! [`Client::create_database_batch`] a [`DatabaseBatch`] for bulk creation.
//!
//! ```no_run
//! use hotdata::loads::LoadMode;
//! # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
//! let db = client.database_by_name("analytics").await?;
//! db.load("main", "events").from_csv("id,kind\n1,click\n").mode(LoadMode::Append).await?;
//! let rows = db.query("SELECT count(*) AS n FROM main.events").await?;
//! for row in &rows {
//!     println!("{} events", row.get::<i64>("n")?);
//! }
//! # Ok(()) }
//! ```
//!
//! # Names
//!
//! One name, one meaning on [`Client`]: the generated operations
//! (`get_database`, `fork_database`, `lookup_database_by_name`,
//! `count_databases`, `bulk_create_databases`, `get_database_batch`, ...)
//! keep their spec names and their raw behaviour, and the flows here use
//! names no operation has (`database`, `database_by_name`,
//! `database_count`, `create_database_batch`, `database_batch`,
//! `set_constant_per_key`). Methods on the handles ([`Database::fork`],
//! [`Database::lineage`], ...) live on their own types, where no generated
//! operation is reachable.

use std::future::{Future, IntoFuture};
use std::pin::Pin;

use futures::TryStreamExt as _;

use crate::Nullable;
use crate::client::Client;
use crate::flows::loads::{Load, new_idempotency_key};
use crate::flows::query::Query;
use crate::flows::runs::{JobHandle, WaitOptions};
use crate::flows::upload::{ManagedTable, Owner};
use crate::generated::operations::{BULK_CREATE_DATABASES, GET_DATABASE_LINEAGE, LOOKUP_DATABASE_BY_NAME};
use crate::generated::prelude::*;
use crate::generated::types;
use crate::runtime::error::Error;

/// One managed database, by id: cheap to clone (a client and an id), and
/// nothing is fetched until a method is called.
///
/// Forking and reading the lineage:
///
/// ```no_run
/// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
/// let prod = client.database("db_abc123");
/// let fork = prod.fork().description("try the new pricing").await?;
/// fork.database.query("UPDATE main.prices SET amount = amount * 2").await?;
///
/// let lineage = fork.database.lineage().await?;
/// assert_eq!(lineage.ancestors[0].database_id, prod.id());
/// for f in prod.lineage().await?.forks {
///     println!("{} forked at {:?}: {:?}", f.database_id, f.forked_at, f.description);
/// }
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct Database {
    client: Client,
    id: String,
}

/// A fork just made by [`Database::fork`]: a handle on it and the service's
/// answer (with `forked_from`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Forked {
    /// The new database.
    pub database: Database,
    /// What the service answered when creating it.
    pub response: types::CreateDatabaseResponse,
}

impl Client {
    /// A handle on database `id`; see [`Database`].
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let db = client.database("db_abc123");
    /// let rows = db.query("SELECT 1 AS one").await?;
    /// # let _ = rows;
    /// # Ok(()) }
    /// ```
    pub fn database(&self, id: impl Into<String>) -> Database {
        Database {
            client: self.clone(),
            id: id.into(),
        }
    }

    /// The one database whose whole name is `name` (case ignored for
    /// unaccented Latin letters and digits only).
    ///
    /// No such database is an [`Error::Api`] for which
    /// [`is_not_found`](Error::is_not_found) is true; more than one is one
    /// for which [`is_ambiguous_name`](Error::is_ambiguous_name) is true
    /// (address those by id).
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// match client.database_by_name("analytics").await {
    ///     Ok(db) => println!("found {}", db.id()),
    ///     Err(e) if e.is_not_found() => println!("no such database"),
    ///     Err(e) if e.is_ambiguous_name() => println!("several share that name"),
    ///     Err(e) => return Err(e),
    /// }
    /// # Ok(()) }
    /// ```
    pub async fn database_by_name(&self, name: &str) -> Result<Database, Error> {
        if name.is_empty() {
            return Err(Error::invalid_argument(
                LOOKUP_DATABASE_BY_NAME.id,
                "name",
                "a database name is not empty",
            ));
        }
        let found = self
            .api()
            .lookup_database_by_name()
            .name(name)
            .send()
            .await?
            .into_inner();
        Ok(self.database(found.id))
    }

    /// How many databases the workspace holds, over all pages; with
    /// `search`, only those whose name contains it.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let all = client.database_count(None).await?;
    /// let tenants = client.database_count(Some("tenant-")).await?;
    /// println!("{tenants} of {all}");
    /// # Ok(()) }
    /// ```
    pub async fn database_count(&self, search: Option<&str>) -> Result<u64, Error> {
        let mut request = self.api().count_databases();
        if let Some(search) = search {
            request = request.search(search);
        }
        let total = request.send().await?.into_inner().total;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    /// Starts creating `count` databases from one template, in the
    /// background; await the builder for a [`DatabaseBatch`]. The request
    /// carries an idempotency key (random per call unless
    /// [`BatchCreate::idempotency_key`] gives one), so a retry after a lost
    /// answer returns the first batch instead of creating a second.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let batch = client.create_database_batch(100).name_template("tenant-{index}").await?;
    /// let done = batch.wait().await?;
    /// println!("{} of {} created", done.created_count, done.count);
    /// # Ok(()) }
    /// ```
    pub fn create_database_batch(&self, count: u64) -> BatchCreate<'_> {
        BatchCreate {
            client: self,
            count,
            name_template: None,
            expires_at: None,
            default_catalog: None,
            default_schema: None,
            schemas: Vec::new(),
            idempotency_key: None,
        }
    }

    /// A handle on an existing bulk-creation batch, by id.
    pub fn database_batch(&self, batch_id: impl Into<String>) -> DatabaseBatch {
        DatabaseBatch {
            client: self.clone(),
            id: batch_id.into(),
            job_id: None,
        }
    }

    /// Replaces the columns `table` declares constant per key (an empty list
    /// withdraws the declaration). The service trusts it: a false
    /// declaration lets keyed loads leave duplicates behind.
    ///
    /// ```no_run
    /// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
    /// let table = hotdata::ManagedTable::in_database("db_abc123", "main", "orders");
    /// let set = client.set_constant_per_key(&table, ["customer_id"]).await?;
    /// println!("{:?}", set.constant_per_key);
    /// # Ok(()) }
    /// ```
    pub async fn set_constant_per_key<S: Into<String>>(
        &self,
        table: &ManagedTable,
        columns: impl IntoIterator<Item = S>,
    ) -> Result<types::ManagedTableConstantPerKeyResponse, Error> {
        let body = types::UpdateManagedTableRequest {
            constant_per_key: columns.into_iter().map(Into::into).collect(),
        };
        let (schema, name) = (table.schema.clone(), table.table.clone());
        Ok(match &table.owner {
            Owner::Database(id) => self
                .api()
                .set_database_table_constant_per_key()
                .database_id(id.clone())
                .schema(schema)
                .table(name)
                .body(body)
                .send()
                .await?
                .into_inner(),
            Owner::Connection(id) => self
                .api()
                .set_managed_table_constant_per_key()
                .connection_id(id.clone())
                .schema(schema)
                .table(name)
                .body(body)
                .send()
                .await?
                .into_inner(),
        })
    }
}

impl Error {
    /// Whether this is the `409` of a lookup by name that matched more than
    /// one database ([`Client::database_by_name`]).
    pub fn is_ambiguous_name(&self) -> bool {
        matches!(self, Error::Api(e) if e.status == 409 && e.operation == LOOKUP_DATABASE_BY_NAME.id)
    }
}

impl Database {
    /// The database's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The client the handle uses.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// A SQL query scoped to this database (its `X-Database-Id`); see
    /// [`Client::query`].
    pub fn query(&self, sql: impl Into<String>) -> Query<'_> {
        self.client.query(sql).database(self.id.clone())
    }

    /// `schema.table` of this database's default catalog, for
    /// [`Client::load`] or [`Client::set_constant_per_key`].
    pub fn table(&self, schema: impl Into<String>, table: impl Into<String>) -> ManagedTable {
        ManagedTable::in_database(self.id.clone(), schema, table)
    }

    /// A load into `schema.table` of this database; see [`Client::load`].
    ///
    /// ```no_run
    /// use hotdata::loads::LoadMode;
    /// # async fn run(db: hotdata::Database) -> Result<(), hotdata::Error> {
    /// let loaded = db
    ///     .load("main", "people")
    ///     .from_csv("id,name\n2,bea\n")
    ///     .mode(LoadMode::Update { keys: vec!["id".into()] })
    ///     .await?;
    /// println!("{} rows", loaded.row_count);
    /// # Ok(()) }
    /// ```
    pub fn load(&self, schema: impl Into<String>, table: impl Into<String>) -> Load<'_> {
        self.client.load(self.table(schema, table))
    }

    /// The database's details (`GET /v1/databases/{id}`).
    pub async fn get(&self) -> Result<types::DatabaseDetailResponse, Error> {
        Ok(self
            .client
            .api()
            .get_database()
            .database_id(self.id.clone())
            .send()
            .await?
            .into_inner())
    }

    /// Starts a fork of this database; await it for the new one.
    pub fn fork(&self) -> Fork<'_> {
        Fork {
            source: self,
            description: None,
            name: None,
            expires_at: None,
        }
    }

    /// Where the database came from and what was forked from it (up to 25
    /// direct forks listed; `fork_count` has the total).
    pub async fn lineage(&self) -> Result<types::DatabaseLineageResponse, Error> {
        self.lineage_request(None).await
    }

    /// [`lineage`](Self::lineage) listing up to `forks_limit` direct forks
    /// (1 to 100).
    pub async fn lineage_with_forks_limit(&self, forks_limit: u64) -> Result<types::DatabaseLineageResponse, Error> {
        self.lineage_request(Some(forks_limit)).await
    }

    async fn lineage_request(&self, forks_limit: Option<u64>) -> Result<types::DatabaseLineageResponse, Error> {
        let mut request = self.client.api().get_database_lineage().database_id(self.id.clone());
        if let Some(limit) = forks_limit {
            let limit = std::num::NonZeroU64::new(limit)
                .filter(|l| l.get() <= 100)
                .ok_or_else(|| {
                    Error::invalid_argument(GET_DATABASE_LINEAGE.id, "forks_limit", "must be from 1 to 100")
                })?;
            request = request.forks_limit(limit);
        }
        Ok(request.send().await?.into_inner())
    }

    /// Every table of the database's default catalog (through
    /// `GET /v1/information_schema` on its default connection, all pages),
    /// with their column definitions.
    pub async fn tables(&self) -> Result<Vec<types::TableInfo>, Error> {
        let connection = self.get().await?.default_connection_id;
        self.client
            .api()
            .information_schema()
            .connection_id(connection)
            .include_columns(true)
            .stream()
            .try_collect()
            .await
    }

    /// The database's named context documents.
    pub async fn contexts(&self) -> Result<Vec<types::DatabaseContextEntry>, Error> {
        Ok(self
            .client
            .api()
            .list_database_contexts()
            .database_id(self.id.clone())
            .send()
            .await?
            .into_inner()
            .contexts)
    }

    /// One context document by name; a missing one is an error for which
    /// [`Error::is_not_found`] is true.
    pub async fn context(&self, name: &str) -> Result<types::DatabaseContextEntry, Error> {
        Ok(self
            .client
            .api()
            .get_database_context()
            .database_id(self.id.clone())
            .name(name)
            .send()
            .await?
            .into_inner()
            .context)
    }

    /// Replaces the constant-per-key columns of `schema.table`; see
    /// [`Client::set_constant_per_key`].
    pub async fn set_constant_per_key<S: Into<String>>(
        &self,
        schema: &str,
        table: &str,
        columns: impl IntoIterator<Item = S>,
    ) -> Result<types::ManagedTableConstantPerKeyResponse, Error> {
        self.client
            .set_constant_per_key(&self.table(schema, table), columns)
            .await
    }

    /// Deletes the database.
    pub async fn delete(&self) -> Result<(), Error> {
        self.client
            .api()
            .delete_database()
            .database_id(self.id.clone())
            .send()
            .await?;
        Ok(())
    }
}

/// A fork being configured; see [`Database::fork`]. Await it.
#[derive(Debug, Clone)]
#[must_use = "a fork does nothing until awaited"]
pub struct Fork<'a> {
    source: &'a Database,
    description: Option<String>,
    name: Option<String>,
    expires_at: Option<String>,
}

impl<'a> Fork<'a> {
    /// Why the fork is taken; kept with it and shown in both databases'
    /// lineage (at most 4096 bytes; line breaks and tabs are the only
    /// control characters allowed).
    pub fn description(mut self, description: impl Into<String>) -> Self {
        self.description = Some(description.into());
        self
    }

    /// The fork's name (default: the source's plus a short suffix).
    pub fn name(mut self, name: impl Into<String>) -> Self {
        self.name = Some(name.into());
        self
    }

    /// When the fork expires: RFC 3339, or relative such as `24h` or `7d`.
    pub fn expires_at(mut self, expires_at: impl Into<String>) -> Self {
        self.expires_at = Some(expires_at.into());
        self
    }

    /// Creates the fork.
    pub async fn send(self) -> Result<Forked, Error> {
        let body = types::ForkDatabaseRequest {
            description: self.description.into(),
            expires_at: self.expires_at.into(),
            name: self.name.into(),
        };
        let client = &self.source.client;
        let response = client
            .api()
            .fork_database()
            .database_id(self.source.id.clone())
            .body(body)
            .send()
            .await?
            .into_inner();
        Ok(Forked {
            database: client.database(response.id.clone()),
            response,
        })
    }
}

impl<'a> IntoFuture for Fork<'a> {
    type Output = Result<Forked, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A bulk creation being configured; see [`Client::create_database_batch`].
/// Await it.
#[derive(Debug, Clone)]
#[must_use = "a batch is not created until awaited"]
pub struct BatchCreate<'a> {
    client: &'a Client,
    count: u64,
    name_template: Option<String>,
    expires_at: Option<String>,
    default_catalog: Option<String>,
    default_schema: Option<String>,
    schemas: Vec<types::DatabaseDefaultSchemaDecl>,
    idempotency_key: Option<String>,
}

impl<'a> BatchCreate<'a> {
    /// The databases' names; must contain `{index}` (replaced by each one's
    /// zero-padded position).
    pub fn name_template(mut self, template: impl Into<String>) -> Self {
        self.name_template = Some(template.into());
        self
    }

    /// When the databases expire: RFC 3339, or relative such as `24h`.
    pub fn expires_at(mut self, expires_at: impl Into<String>) -> Self {
        self.expires_at = Some(expires_at.into());
        self
    }

    /// The name each database's default catalog answers to.
    pub fn default_catalog(mut self, catalog: impl Into<String>) -> Self {
        self.default_catalog = Some(catalog.into());
        self
    }

    /// The schema unqualified table names resolve to in each database.
    pub fn default_schema(mut self, schema: impl Into<String>) -> Self {
        self.default_schema = Some(schema.into());
        self
    }

    /// Schemas and tables declared on every database of the batch.
    pub fn schemas(mut self, schemas: Vec<types::DatabaseDefaultSchemaDecl>) -> Self {
        self.schemas = schemas;
        self
    }

    /// The idempotency key to send instead of a random one: a repeat with
    /// the same key returns the first batch, whatever else it says.
    pub fn idempotency_key(mut self, key: impl Into<String>) -> Self {
        self.idempotency_key = Some(key.into());
        self
    }

    /// Sends the request; the batch fills in the background.
    pub async fn send(self) -> Result<DatabaseBatch, Error> {
        let op = BULK_CREATE_DATABASES.id;
        let count = std::num::NonZeroU64::new(self.count)
            .filter(|c| c.get() <= 10_000)
            .ok_or_else(|| {
                Error::invalid_argument(op, "count", format!("must be from 1 to 10000, got {}", self.count))
            })?;
        if let Some(t) = &self.name_template
            && !t.contains("{index}")
        {
            return Err(Error::invalid_argument(op, "name_template", "must contain `{index}`"));
        }
        let body = types::BulkCreateDatabasesRequest {
            count,
            default_catalog: self.default_catalog.into(),
            default_schema: self.default_schema.into(),
            expires_at: self.expires_at.into(),
            idempotency_key: Nullable::Value(self.idempotency_key.unwrap_or_else(new_idempotency_key)),
            name_template: self.name_template.into(),
            schemas: self.schemas,
        };
        let batch = self
            .client
            .api()
            .bulk_create_databases()
            .body(body)
            .send()
            .await?
            .into_inner();
        Ok(DatabaseBatch {
            client: self.client.clone(),
            id: batch.batch_id,
            job_id: batch.job_id,
        })
    }
}

impl<'a> IntoFuture for BatchCreate<'a> {
    type Output = Result<DatabaseBatch, Error>;
    type IntoFuture = Pin<Box<dyn Future<Output = Self::Output> + Send + 'a>>;

    #[inline]
    fn into_future(self) -> Self::IntoFuture {
        Box::pin(self.send())
    }
}

/// A bulk-creation batch, by id: follow it, list or count its databases,
/// delete it.
///
/// ```no_run
/// # async fn run(client: hotdata::Client) -> Result<(), hotdata::Error> {
/// let batch = client.create_database_batch(3).name_template("t-{index}").await?;
/// batch.wait().await?;
/// for db in batch.databases().await? {
///     println!("{} {:?}", db.id, db.name);
/// }
/// let removed = batch.delete().await?;
/// assert_eq!(removed.deleted_count, 3);
/// # Ok(()) }
/// ```
#[derive(Debug, Clone)]
pub struct DatabaseBatch {
    client: Client,
    id: String,
    job_id: Option<String>,
}

impl DatabaseBatch {
    /// The batch's id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The job filling the batch, when known (from the creation answer, or
    /// after [`get`](Self::get) through [`wait`](Self::wait)).
    pub fn job(&self) -> Option<JobHandle> {
        self.job_id.as_ref().map(|id| self.client.job(id.clone()))
    }

    /// The batch's state (`GET /v1/databases/bulk/{id}`).
    pub async fn get(&self) -> Result<types::DatabaseBatchResponse, Error> {
        Ok(self
            .client
            .api()
            .get_database_batch()
            .batch_id(self.id.clone())
            .send()
            .await?
            .into_inner())
    }

    /// Waits with [`WaitOptions::default`] for the job filling the batch,
    /// then returns the batch's state.
    pub async fn wait(&self) -> Result<types::DatabaseBatchResponse, Error> {
        self.wait_with(WaitOptions::default()).await
    }

    /// [`wait`](Self::wait) with `opts`. A batch whose job is not known is
    /// read once to learn it; a batch with no job is returned as it is.
    pub async fn wait_with(&self, opts: WaitOptions) -> Result<types::DatabaseBatchResponse, Error> {
        let job = match &self.job_id {
            Some(id) => Some(id.clone()),
            None => self.get().await?.job_id,
        };
        if let Some(job) = job {
            self.client.job(job).wait_with(opts).await?;
        }
        self.get().await
    }

    /// The databases of the batch that exist now (all pages).
    pub async fn databases(&self) -> Result<Vec<types::DatabaseSummary>, Error> {
        self.client
            .api()
            .list_databases()
            .batch(self.id.clone())
            .stream()
            .try_collect()
            .await
    }

    /// How many databases of the batch exist now.
    pub async fn count(&self) -> Result<u64, Error> {
        let total = self
            .client
            .api()
            .count_databases()
            .batch(self.id.clone())
            .send()
            .await?
            .into_inner()
            .total;
        Ok(u64::try_from(total).unwrap_or(0))
    }

    /// Deletes the batch and its databases; refused (`409`) once any of
    /// them holds loaded data.
    pub async fn delete(&self) -> Result<types::DeleteDatabaseBatchResponse, Error> {
        Ok(self
            .client
            .api()
            .delete_database_batch()
            .batch_id(self.id.clone())
            .send()
            .await?
            .into_inner())
    }
}
