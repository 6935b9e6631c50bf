//! One error type for the whole application. Each variant documents the HTTP status it
//! produces; the wire form is a flat JSON object with a stable `code` that clients, tests and
//! API users match on. Database detail is logged on the server and never sent.

use crate::access::Denial;
use serde::{Deserialize, Serialize};
use server_fn::codec::JsonEncoding;
use server_fn::error::{FromServerFnError, ServerFnErrorErr};

pub type Result<T, E = AppError> = std::result::Result<T, E>;

#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, Serialize, Deserialize)]
#[serde(into = "ErrorBody", from = "ErrorBody")]
pub enum AppError {
    /// 400 `invalid_input`: a field or the request itself is malformed. Nothing changed.
    #[error("{message}")]
    Invalid { field: Option<String>, message: String },

    /// 401 `invalid_credentials`: unknown email or wrong password (one message for both).
    #[error("Incorrect email or password.")]
    InvalidCredentials,

    /// 401 with a specific code (`invalid_api_key`, `api_key_expired`…): the credential
    /// presented is not (or no longer) good.
    #[error("{message}")]
    Unauthenticated { code: String, message: String },

    /// 401 or 403, with the denial's own code: the guard refused.
    #[error("{}", .0.message())]
    Denied(Denial),

    /// 403 with a specific code (`own_request`…): the caller may do this kind of thing, but
    /// not to this record (maker-checker: nobody approves their own request).
    #[error("{message}")]
    Refused { code: String, message: String },

    /// 403 `cross_origin_request`: a state-changing request from another origin.
    #[error("This request came from another site and was refused.")]
    CrossOrigin,

    /// 404 `not_found`: no such row in the caller's organization (another tenant's included).
    #[error("Not found.")]
    NotFound,

    /// 409 with a specific code (`email_taken`, `last_owner`…): the request clashes with
    /// the current state.
    #[error("{message}")]
    Conflict { code: String, message: String },

    /// 422 with a specific code (`idempotency_key_reused`): well-formed, but it cannot be
    /// done as asked.
    #[error("{message}")]
    Unprocessable { code: String, message: String },

    /// 413 `payload_too_large`: the body is over the limit (refused before it is read).
    #[error("The request is too large.")]
    PayloadTooLarge,

    /// 429 `too_many_attempts`: throttled; retry after the given number of seconds.
    #[error("Too many attempts. Try again in {}.", human_seconds(*retry_after))]
    Throttled { retry_after: u64 },

    /// 500 `internal_error`: something failed on our side; the detail is only logged.
    #[error("Something went wrong on our side. Please try again.")]
    Internal,

    /// 503 `unreachable`: the browser could not reach the server.
    #[error("The server could not be reached. Check your connection and try again.")]
    Unreachable,
}

impl AppError {
    pub fn invalid(field: impl Into<String>, message: impl Into<String>) -> AppError {
        AppError::Invalid { field: Some(field.into()), message: message.into() }
    }

    pub fn bad_request(message: impl Into<String>) -> AppError {
        AppError::Invalid { field: None, message: message.into() }
    }

    pub fn conflict(code: &str, message: impl Into<String>) -> AppError {
        AppError::Conflict { code: code.to_string(), message: message.into() }
    }

    pub fn refused(code: &str, message: impl Into<String>) -> AppError {
        AppError::Refused { code: code.to_string(), message: message.into() }
    }

    pub fn status(&self) -> u16 {
        match self {
            AppError::Refused { .. } => 403,
            AppError::Invalid { .. } => 400,
            AppError::InvalidCredentials => 401,
            AppError::Unauthenticated { .. } => 401,
            AppError::Denied(denial) => denial.status(),
            AppError::CrossOrigin => 403,
            AppError::NotFound => 404,
            AppError::Conflict { .. } => 409,
            AppError::PayloadTooLarge => 413,
            AppError::Unprocessable { .. } => 422,
            AppError::Throttled { .. } => 429,
            AppError::Internal => 500,
            AppError::Unreachable => 503,
        }
    }

    /// The stable machine-readable code.
    pub fn code(&self) -> &str {
        match self {
            AppError::Invalid { .. } => "invalid_input",
            AppError::InvalidCredentials => "invalid_credentials",
            AppError::Unauthenticated { code, .. } => code,
            AppError::Denied(denial) => denial.code(),
            AppError::Refused { code, .. } => code,
            AppError::CrossOrigin => "cross_origin_request",
            AppError::NotFound => "not_found",
            AppError::Conflict { code, .. } => code,
            AppError::PayloadTooLarge => "payload_too_large",
            AppError::Unprocessable { code, .. } => code,
            AppError::Throttled { .. } => "too_many_attempts",
            AppError::Internal => "internal_error",
            AppError::Unreachable => "unreachable",
        }
    }

    /// The field a form should highlight, if the error is about one.
    pub fn field(&self) -> Option<&str> {
        match self {
            AppError::Invalid { field, .. } => field.as_deref(),
            _ => None,
        }
    }
}

fn human_seconds(seconds: u64) -> String {
    match seconds {
        0 | 1 => "1 second".into(),
        s if s < 120 => format!("{s} seconds"),
        s => format!("{} minutes", s.div_ceil(60)),
    }
}

/// The wire form of an error: `{status, code, message, …}`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct ErrorBody {
    pub status: u16,
    pub code: String,
    pub message: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retry_after: Option<u64>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub denial: Option<Denial>,
}

impl From<AppError> for ErrorBody {
    fn from(error: AppError) -> ErrorBody {
        ErrorBody {
            status: error.status(),
            code: error.code().to_string(),
            message: error.to_string(),
            field: error.field().map(str::to_string),
            retry_after: match error {
                AppError::Throttled { retry_after } => Some(retry_after),
                _ => None,
            },
            denial: match error {
                AppError::Denied(denial) => Some(denial),
                _ => None,
            },
        }
    }
}

impl From<ErrorBody> for AppError {
    fn from(body: ErrorBody) -> AppError {
        if let Some(denial) = body.denial {
            return AppError::Denied(denial);
        }
        match (body.status, body.code.as_str()) {
            (400, _) => AppError::Invalid { field: body.field, message: body.message },
            (401, "invalid_credentials") => AppError::InvalidCredentials,
            (401, _) => AppError::Unauthenticated { code: body.code, message: body.message },
            (403, "cross_origin_request") => AppError::CrossOrigin,
            (403, _) => AppError::Refused { code: body.code, message: body.message },
            (404, _) => AppError::NotFound,
            (409, _) => AppError::Conflict { code: body.code, message: body.message },
            (413, _) => AppError::PayloadTooLarge,
            (422, _) => AppError::Unprocessable { code: body.code, message: body.message },
            (429, _) => AppError::Throttled { retry_after: body.retry_after.unwrap_or(1) },
            (503, _) => AppError::Unreachable,
            _ => AppError::Internal,
        }
    }
}

impl From<Denial> for AppError {
    fn from(denial: Denial) -> AppError {
        AppError::Denied(denial)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(error: ServerFnErrorErr) -> AppError {
        match error {
            // The browser side: the call never reached us, or its answer was unreadable.
            ServerFnErrorErr::Request(_) => AppError::Unreachable,
            // The server side: the request's arguments could not be read. This is bad input,
            // answered with 400; serde's message names the field, never any of our data.
            ServerFnErrorErr::Args(detail) => AppError::bad_request(format!("The request could not be read: {detail}")),
            ServerFnErrorErr::MissingArg(name) => AppError::invalid(name.clone(), format!("“{name}” is missing.")),
            ServerFnErrorErr::UnsupportedRequestMethod(_) => {
                AppError::bad_request("This request method is not supported.")
            }
            other => {
                #[cfg(feature = "ssr")]
                tracing::error!(error = %other, "server function failed");
                #[cfg(not(feature = "ssr"))]
                let _ = other;
                AppError::Internal
            }
        }
    }
}

#[cfg(feature = "ssr")]
mod ssr {
    use super::*;
    use axum::response::{IntoResponse, Response};

    impl From<sqlx::Error> for AppError {
        /// Database failures are logged with their detail and answered with a bare 500. That
        /// includes `RowNotFound`: a query that must find its row and does not is a bug, not
        /// a 404. A row that may be missing is read with `fetch_optional` and its absence
        /// answered `NotFound` explicitly.
        fn from(error: sqlx::Error) -> AppError {
            tracing::error!(%error, "database error");
            AppError::Internal
        }
    }

    impl IntoResponse for AppError {
        fn into_response(self) -> Response {
            let status = http::StatusCode::from_u16(self.status()).unwrap_or(http::StatusCode::INTERNAL_SERVER_ERROR);
            let retry_after = match self {
                AppError::Throttled { retry_after } => Some(retry_after),
                _ => None,
            };
            let mut response = (status, axum::Json(ErrorBody::from(self))).into_response();
            if let Some(seconds) = retry_after {
                response.headers_mut().insert(http::header::RETRY_AFTER, http::HeaderValue::from(seconds));
            }
            response
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::access::Permission;

    #[test]
    fn every_error_round_trips_through_its_wire_form() {
        let errors = [
            AppError::invalid("email", "That is not an email address."),
            AppError::bad_request("unreadable"),
            AppError::InvalidCredentials,
            AppError::Denied(Denial::SignInRequired),
            AppError::Denied(Denial::PermissionRequired { permission: Permission::TeamManage }),
            AppError::CrossOrigin,
            AppError::refused("own_request", "Someone else must decide it."),
            AppError::NotFound,
            AppError::conflict("email_taken", "taken"),
            AppError::PayloadTooLarge,
            AppError::Throttled { retry_after: 30 },
            AppError::Internal,
            AppError::Unreachable,
        ];
        for error in errors {
            let json = serde_json::to_string(&error).unwrap();
            let back: AppError = serde_json::from_str(&json).unwrap();
            assert_eq!(back, error, "{json}");
        }
    }

    #[test]
    fn wire_form_is_flat_with_status_code_and_message() {
        let json = serde_json::to_value(AppError::Denied(Denial::PermissionRequired {
            permission: Permission::AnalyticsViewRevenue,
        }))
        .unwrap();
        assert_eq!(json["status"], 403);
        assert_eq!(json["code"], "analytics_permission_required");
        assert_eq!(json["denial"]["permission"], "analytics.view_revenue");
        assert!(json["message"].as_str().unwrap().contains("analytics.view_revenue"));
    }

    #[test]
    fn framework_errors_about_input_are_client_errors() {
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Args("missing field `email`".into()));
        assert_eq!(e.status(), 400);
        let e = AppError::from_server_fn_error(ServerFnErrorErr::MissingArg("email".into()));
        assert_eq!((e.status(), e.field()), (400, Some("email")));
        let e = AppError::from_server_fn_error(ServerFnErrorErr::Response("boom".into()));
        assert_eq!(e, AppError::Internal);
    }

    #[test]
    fn throttle_message_is_human() {
        assert_eq!(AppError::Throttled { retry_after: 1 }.to_string(), "Too many attempts. Try again in 1 second.");
        assert_eq!(AppError::Throttled { retry_after: 600 }.to_string(), "Too many attempts. Try again in 10 minutes.");
    }
}
