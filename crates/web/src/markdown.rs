//! Markdown from people to HTML that is safe to put in a page: the renderer lives in
//! `chorus_app::markdown` (e-mail uses it too).

pub use chorus_app::markdown::render;
