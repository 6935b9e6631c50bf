//! `/admin/outbox`: the mail Gatehouse sent (invitations, emailed codes), for operators.

pub mod api;
pub mod components;
