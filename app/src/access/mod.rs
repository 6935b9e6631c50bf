//! The permission model (DESIGN §3–§4), compiled into both the server and the wasm.
//!
//! One closed registry of permission keys, a bitset of them, the built-in role templates, the
//! [`Access`] of a request and one pure [`decide`] function. The server asks it before every
//! non-public server function (authoritative); the browser asks the very same function to hide
//! links, buttons and pages (convenience only).

mod decision;
mod permission;
mod roles;

#[cfg(test)]
pub(crate) use decision::tests::access_for;
pub use decision::{Access, Denial, Effect, Effective, OrgAccess, Requirement, Standing, decide, gate, tenant_gate};
pub use permission::{Domain, Permission, PermissionSet};
pub use roles::{BuiltinRole, role_requires_mfa, stored_role};

#[cfg(feature = "ssr")]
mod guard;
#[cfg(feature = "ssr")]
pub(crate) use guard::record_denial;
#[cfg(feature = "ssr")]
pub use guard::{
    Ctx, SignedIn, UserCtx, authorize, guard, guard_user, load_access, load_signed_in, membership,
    provide_request_memo, request_access, request_signed_in,
};
