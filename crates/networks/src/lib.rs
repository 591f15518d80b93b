//! Connectors to the world outside Chorus: e-mail, link previews fetched from the web, and the
//! publishing connectors (`publish`), each behind a trait so tests and `--demo` can use local
//! stand-ins.

pub mod chat;
pub mod feeds;
pub mod mail;
pub mod preview;
pub mod publish;
