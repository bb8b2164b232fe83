//! notes: a few rows in an in-memory SQLite database, through rusqlite
//! linked against the system's libsqlite3 (no bundled SQLite).

use rusqlite::{params, Connection};

fn run() -> rusqlite::Result<(i64, String)> {
    let db = Connection::open_in_memory()?;
    db.execute_batch(
        "CREATE TABLE notes (
             id    INTEGER PRIMARY KEY,
             title TEXT NOT NULL,
             body  TEXT NOT NULL
         );",
    )?;
    let mut insert = db.prepare("INSERT INTO notes (title, body) VALUES (?1, ?2)")?;
    insert.execute(params!["shopping", "milk, bread"])?;
    insert.execute(params!["distill", "no shell in the image"])?;
    drop(insert);

    let rows: i64 = db.query_row("SELECT count(*) FROM notes", [], |r| r.get(0))?;
    let version: String = db.query_row("SELECT sqlite_version()", [], |r| r.get(0))?;
    Ok((rows, version))
}

fn main() {
    match run() {
        Ok((rows, version)) => println!("notes: {rows} rows, sqlite {version}"),
        Err(e) => {
            eprintln!("notes: {e}");
            std::process::exit(1);
        }
    }
}
