// `sqlx::migrate!` embeds the migration folders at compile time; without this, adding a
// migration file does not rebuild the crate and an incremental build ships without it.
fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
