//! Okta's error body.

model! {
    /// Okta's error body (`Error`). Only `errorCode` is stable.
    pub struct Error {
        /// The causes, e.g. which field failed validation.
        error_causes: Option<Vec<ErrorCause>> = "errorCauses",
        /// Okta's code for the error (`E0000001`…); the one stable field.
        error_code: Option<String> = "errorCode",
        /// A unique id of this occurrence, for Okta Support.
        error_id: Option<String> = "errorId",
        /// Okta's code for the error, again.
        error_link: Option<String> = "errorLink",
        /// A short description.
        error_summary: Option<String> = "errorSummary",
    }
}

model! {
    /// One cause of an [`Error`] (`ErrorCause`).
    pub struct ErrorCause {
        /// What went wrong.
        error_summary: Option<String> = "errorSummary",
    }
}

impl Error {
    /// An error body with a code and a summary, and no causes.
    pub fn with(code: impl Into<String>, summary: impl Into<String>) -> Self {
        let code = code.into();
        Self::new()
            .error_link(code.clone())
            .error_code(code)
            .error_summary(summary)
            .error_causes(Vec::<ErrorCause>::new())
    }
}
