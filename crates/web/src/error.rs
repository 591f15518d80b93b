//! One mapping from use-case errors to HTTP: problem+json for the API, a readable page (or a
//! redirect to sign in) for the browser. Internal errors are logged once here and never shown.

use crate::pages::error_page;
use axum::{
    Json,
    extract::rejection::{FormRejection, JsonRejection, PathRejection, QueryRejection},
    http::{HeaderValue, StatusCode, header},
    response::{IntoResponse, Redirect, Response},
};
use chorus_app::Error;

pub fn status_of(e: &Error) -> StatusCode {
    match e {
        Error::NotFound => StatusCode::NOT_FOUND,
        Error::Unauthenticated(_) => StatusCode::UNAUTHORIZED,
        Error::Forbidden(_) => StatusCode::FORBIDDEN,
        Error::Invalid(_) => StatusCode::UNPROCESSABLE_ENTITY,
        Error::Conflict(_) | Error::Changed { .. } | Error::Cadence { .. } => StatusCode::CONFLICT,
        Error::Upload(u) => StatusCode::from_u16(u.http_status()).unwrap_or(StatusCode::UNPROCESSABLE_ENTITY),
        Error::Gone(_) => StatusCode::GONE,
        Error::BadRequest(_) => StatusCode::BAD_REQUEST,
        Error::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
        Error::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
    }
}

fn log_internal(e: &Error) {
    match e {
        Error::Internal(cause) => tracing::error!(error = %format!("{cause:#}"), "Internal error"),
        Error::Upload(chorus_media::MediaError::Io(cause)) => {
            tracing::error!(error = %cause, "Upload failed on our side")
        }
        _ => {}
    }
}

/// RFC 9457 `application/problem+json`.
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct Problem {
    /// A URI naming the kind of problem.
    #[serde(rename = "type")]
    pub kind: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    /// Stable machine-readable code: not_found, unauthenticated, forbidden, invalid, conflict,
    /// gone, too_many_requests, bad_request, payload_too_large, unsupported_media_type, internal.
    pub code: String,
    /// Per-field problems, for `invalid`.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
    /// For `changed`: the submission as it is now, to compare with what was sent.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub current: Option<serde_json::Value>,
    /// For `cadence`: the next time the channel's cadence guard allows (RFC 3339), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub next_free_slot: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct FieldError {
    pub field: String,
    pub message: String,
}

pub fn problem(
    status: StatusCode,
    code: &str,
    detail: impl Into<String>,
    errors: Vec<FieldError>,
) -> Response {
    problem_response(Problem {
        kind: format!("urn:chorus:problem:{code}"),
        title: status.canonical_reason().unwrap_or("Error").to_owned(),
        status: status.as_u16(),
        detail: detail.into(),
        code: code.to_owned(),
        errors,
        current: None,
        next_free_slot: None,
    })
}

fn problem_response(body: Problem) -> Response {
    let status = StatusCode::from_u16(body.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR);
    let mut res = (status, Json(body)).into_response();
    res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
    res
}

/// An API error.
#[derive(Debug)]
pub struct ApiError(pub Box<Response>);

impl From<Error> for ApiError {
    fn from(e: Error) -> Self {
        log_internal(&e);
        let status = status_of(&e);
        let (detail, errors) = match &e {
            Error::Internal(_) => ("internal error".to_owned(), vec![]),
            Error::Invalid(list) => (
                e.to_string(),
                list.iter()
                    .map(|i| FieldError { field: i.field.to_owned(), message: i.message.clone() })
                    .collect(),
            ),
            _ => (e.to_string(), vec![]),
        };
        let mut res = problem_response(Problem {
            kind: format!("urn:chorus:problem:{}", e.code()),
            title: status.canonical_reason().unwrap_or("Error").to_owned(),
            status: status.as_u16(),
            detail,
            code: e.code().to_owned(),
            errors,
            // The current submission, to compare with what was sent.
            current: match &e {
                Error::Changed { current, .. } => Some(crate::api::current_json(current)),
                _ => None,
            },
            // The time the cadence guard would accept.
            next_free_slot: match &e {
                Error::Cadence { next_free, .. } => {
                    next_free.and_then(|t| t.format(&time::format_description::well_known::Rfc3339).ok())
                }
                _ => None,
            },
        });
        if let Error::TooManyRequests { retry_after } = &e
            && let Ok(v) = HeaderValue::from_str(&retry_after.whole_seconds().to_string())
        {
            res.headers_mut().insert(header::RETRY_AFTER, v);
        }
        if matches!(e, Error::Unauthenticated(_)) {
            res.headers_mut().insert(header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer"));
        }
        ApiError(Box::new(res))
    }
}

impl From<chorus_domain::Invalid> for ApiError {
    fn from(e: chorus_domain::Invalid) -> Self {
        Error::from(e).into()
    }
}

impl From<JsonRejection> for ApiError {
    fn from(r: JsonRejection) -> Self {
        let (status, code) = match &r {
            JsonRejection::JsonDataError(_) => (StatusCode::UNPROCESSABLE_ENTITY, "invalid"),
            JsonRejection::JsonSyntaxError(_) => (StatusCode::BAD_REQUEST, "bad_request"),
            JsonRejection::MissingJsonContentType(_) => {
                (StatusCode::UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type")
            }
            _ if r.status() == StatusCode::PAYLOAD_TOO_LARGE => {
                (StatusCode::PAYLOAD_TOO_LARGE, "payload_too_large")
            }
            _ => (r.status(), "bad_request"),
        };
        ApiError(Box::new(problem(status, code, r.body_text(), vec![])))
    }
}

impl From<QueryRejection> for ApiError {
    fn from(r: QueryRejection) -> Self {
        ApiError(Box::new(problem(StatusCode::BAD_REQUEST, "bad_request", r.body_text(), vec![])))
    }
}

impl From<PathRejection> for ApiError {
    fn from(_: PathRejection) -> Self {
        // A malformed id names nothing that exists: answer exactly like an unknown id.
        Error::NotFound.into()
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        *self.0
    }
}

/// A page error: a readable HTML page, or a redirect to sign in.
#[derive(Debug)]
pub struct PageError(pub Box<Response>);

impl From<Error> for PageError {
    fn from(e: Error) -> Self {
        log_internal(&e);
        let status = status_of(&e);
        let res = match &e {
            Error::Unauthenticated(_) => Redirect::to("/login").into_response(),
            Error::NotFound => error_page(
                status,
                "Not found",
                "There is nothing here. It may have been removed, or the link is wrong.",
            ),
            Error::Forbidden(d) => error_page(status, "Not allowed", &d.to_string()),
            Error::Gone(msg) => error_page(status, "This link cannot be used", msg),
            Error::Internal(_) => error_page(
                status,
                "Something went wrong",
                "Chorus could not finish this. It has been logged; try again in a moment.",
            ),
            other => error_page(status, "That did not work", &other.to_string()),
        };
        PageError(Box::new(res))
    }
}

impl From<FormRejection> for PageError {
    fn from(r: FormRejection) -> Self {
        PageError(Box::new(error_page(
            if r.status() == StatusCode::PAYLOAD_TOO_LARGE { r.status() } else { StatusCode::BAD_REQUEST },
            "That form could not be read",
            &r.body_text(),
        )))
    }
}

impl From<PathRejection> for PageError {
    fn from(_: PathRejection) -> Self {
        Error::NotFound.into()
    }
}

impl IntoResponse for PageError {
    fn into_response(self) -> Response {
        *self.0
    }
}
