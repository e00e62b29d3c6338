//! A managed database: create it with a declared table, upload a parquet file, load it with `mode: replace`, and
//! query it as `default.<schema>.<table>` scoped to the database.
//!
//! ```sh
//! cargo run --example managed_database
//! ```

mod common;

use hotdata::prelude::*;
use hotdata::types::{self, LoadMode};

#[derive(Debug, serde::Deserialize)]
struct RegionTotal {
    region: String,
    orders: u64,
    // Exact decimal text: no float rounding.
    total: String,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let env = common::connect()?;
    let client = &env.client;

    // Create a database that expires in a day, declaring public.orders.
    let schemas = vec![types::DatabaseDefaultSchemaDecl {
        name: "public".to_owned(),
        tables: vec![types::DatabaseDefaultTableDecl::builder().name("orders").try_into()?],
    }];
    let created = client
        .create_database()
        .body_map(|b| {
            b.name(Some("sales".to_owned()))
                .expires_at(Some("24h".to_owned()))
                .schemas(schemas)
        })
        .send()
        .await?;
    println!("created database {}", created.id);

    let detail = client.get_database().database_id(&created.id).send().await?;
    println!("  default connection {}", detail.default_connection_id);

    // Upload a parquet file from disk, then load it into the declared table.
    let (_dir, path) = common::orders_parquet_file()?;
    let upload = client.upload_file(&path).await?;
    println!("uploaded {} ({} bytes)", upload.upload_id, upload.size_bytes);
    let table = hotdata::ManagedTable::in_database(&created.id, "public", "orders");
    let loaded = client.load_upload(&upload.upload_id, &table, LoadMode::Replace).await?;
    println!("loaded {} row(s) into {}", loaded.row_count, loaded.table_name);

    // Query it: the database's tables are visible only with the database as scope.
    let rows = client
        .query(
            "SELECT region, count(*) AS orders, sum(amount) AS total \
             FROM default.public.orders GROUP BY region ORDER BY region",
        )
        .database(&created.id)
        .await?;
    for t in rows.rows_as::<RegionTotal>()? {
        println!("  {:<5} {} order(s), total {}", t.region, t.orders, t.total);
    }

    // Unqualified names resolve in the default schema given with the scope.
    let rows = client
        .query("SELECT count(*) AS n FROM orders")
        .database(&created.id)
        .default_schema("public")
        .await?;
    println!("orders in public: {}", rows.row(0).ok_or("one row")?.get::<u64>("n")?);

    let listing = client.list_databases().send().await?;
    println!("{} database(s) in the workspace", listing.databases.len());

    client.delete_database().database_id(&created.id).send().await?;
    println!("deleted database {}", created.id);
    Ok(())
}
