//! The signed-in user, loaded once per navigation.
//!
//! Exactly one boundary awaits the session resource: [`super::Page`]. It hands the result
//! to everything below it as a plain value ([`current_session`]), so no component reads the
//! resource itself. (Several Suspense boundaries sharing one resource is a known source of
//! sporadic server-rendering deadlocks in Leptos 0.8; see leptos-rs/leptos#4578 and #4673.)

use super::forms::FormAction;
use crate::auth::api::{SessionView, SignOut, get_session};
use crate::error::AppError;
use crate::orgs::api::SwitchOrg;
use leptos::prelude::*;
use leptos_router::hooks::use_location;

#[derive(Clone, Copy)]
pub struct SessionCtx {
    /// The caller's session (`Ok(None)` for visitors). Reloaded on every navigation, so a
    /// revoked permission disappears from the UI at the next page.
    pub session: Resource<Result<Option<SessionView>, AppError>>,
    pub sign_out: FormAction<()>,
    pub switch_org: FormAction<()>,
    /// Bump to reload the session after a change on the same page (e.g. a renamed org).
    pub refresh: RwSignal<u64>,
}

impl SessionCtx {
    pub fn reload(&self) {
        self.refresh.update(|n| *n += 1);
    }
}

/// Creates the session context; call once inside the `<Router>`.
pub fn provide_session() -> SessionCtx {
    let location = use_location();
    let sign_out = FormAction::new::<SignOut>();
    let switch_org = FormAction::new::<SwitchOrg>();
    let refresh = RwSignal::new(0u64);
    // The path goes along so the server can audit a refused page view, once, where it
    // loads the session for it.
    let session = Resource::new(
        move || (location.pathname.get(), refresh.get(), sign_out.version().get(), switch_org.version().get()),
        |(path, ..)| get_session(Some(path)),
    );
    let ctx = SessionCtx { session, sign_out, switch_org, refresh };
    provide_context(ctx);
    ctx
}

pub fn use_session() -> SessionCtx {
    expect_context::<SessionCtx>()
}

/// The session as resolved by the enclosing [`super::Page`].
#[derive(Clone, Debug)]
pub struct CurrentSession(pub Option<SessionView>);

/// The signed-in user of the page being rendered (`None` for visitors).
pub fn current_session() -> Option<SessionView> {
    use_context::<CurrentSession>().and_then(|c| c.0)
}
