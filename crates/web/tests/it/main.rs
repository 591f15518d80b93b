//! End-to-end tests: the real server on a random port, driven over HTTP, on SQLite — and on
//! PostgreSQL when CHORUS_TEST_DATABASE_URL is set.

mod amplify;
mod api;
mod authz;
mod chat;
mod contrib;
mod contrib_more;
mod events;
mod feeds;
mod flows;
mod isolation;
mod media_store;
mod mentoring;
mod notify;
mod notify_mail;
mod ops;
mod outreach;
mod pages_contrib;
mod policy;
mod publish;
mod readiness;
mod recognition;
mod sso;
mod surveys;
mod training;
