//! Connectors to the world outside Chorus. For now: e-mail, and link previews fetched from the
//! web. The social networks arrive with publishing; each sits behind a trait so tests and `--demo`
//! can use local stand-ins.

pub mod mail;
pub mod preview;
