//! The console's server functions. Reading needs a platform permission and an MFA-verified
//! session; confirming a transfer, suspending and reactivating also need step-up. Each
//! change is audited twice: on the platform chain and on the tenant's own chain, so the
//! tenant sees who did what to it and why.

use super::{Confirmed, Tenant, TenantDetail};
use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::server,
    crate::access::{UserCtx, guard_user},
    crate::audit::{self, Outcome},
    crate::billing::{Plan, server as billing},
    crate::db::Conn,
    crate::time::format_local,
};

/// Platform staff reading tenants.
pub const TENANTS_READ: Requirement = Requirement::platform(&[Permission::PlatformTenantsRead]).with_mfa();

/// Suspending and reactivating a tenant.
pub const TENANTS_MANAGE: Requirement =
    Requirement::platform(&[Permission::PlatformTenantsManage]).with_mfa().with_step_up();

/// Confirming a bank transfer.
pub const PAYMENTS_CONFIRM: Requirement =
    Requirement::platform(&[Permission::PlatformPaymentsConfirm]).with_mfa().with_step_up();

/// Tenants whose name or slug contains `query` (all when empty), at most 200.
#[server(prefix = "/api", endpoint = "admin/tenants")]
pub async fn list_tenants(query: String) -> Result<Vec<Tenant>, AppError> {
    let cx = guard_user(&TENANTS_READ).await?;
    let query = crate::input::text("query", query.trim(), 100, false)?;
    let mut conn = cx.state.db.conn().await?;
    Ok(server::search(&mut conn, &query, 200).await?.iter().map(|row| row.tenant(cx.now)).collect())
}

/// One tenant: subscription, members, activity and bank transfers. Audited.
#[server(prefix = "/api", endpoint = "admin/tenants/get")]
pub async fn get_tenant(id: String) -> Result<TenantDetail, AppError> {
    let cx = guard_user(&TENANTS_READ).await?;
    let id = crate::input::id(&id)?;
    let detail = {
        let mut conn = cx.state.db.conn().await?;
        let row = server::find(&mut conn, &id).await?;
        let subscription = billing::find(&mut conn, &id).await?;
        TenantDetail {
            tenant: row.tenant(cx.now),
            created: format_local(row.created_at, "UTC"),
            period_end: subscription.period_end().map(|at| format_local(at, "UTC")),
            payment_method: row.payment_method.clone(),
            suspension: subscription.suspension("UTC"),
            transfers: billing::transfers(&mut conn, &id, "UTC", 50).await?,
            can_confirm: cx.access.allows(&PAYMENTS_CONFIRM),
            can_manage: cx.access.allows(&TENANTS_MANAGE),
        }
    };
    // On the platform's chain, whatever organization the operator is in themselves.
    let event = cx.event("platform.tenant.view", Outcome::Allowed).org(None).target("organization", &id);
    cx.state.reads.record(event, cx.now).await?;
    Ok(detail)
}

/// Writes `action` on the platform chain and on the tenant's chain, in `tx`.
#[cfg(feature = "ssr")]
async fn audit_both(
    tx: &mut Conn,
    cx: &UserCtx,
    action: &str,
    org_id: &str,
    reason: Option<&str>,
    metadata: serde_json::Value,
) -> Result<(), AppError> {
    for chain in [None, Some(org_id)] {
        let mut event =
            cx.event(action, Outcome::Allowed).org(chain).target("organization", org_id).metadata(metadata.clone());
        if let Some(reason) = reason {
            event = event.reason(reason);
        }
        audit::record(tx, &event, cx.now).await?;
    }
    Ok(())
}

/// Confirms the bank transfer `reference` of tenant `org_id` (recording it if the tenant had
/// not), of `amount` US dollars: activates the subscription on `plan` (empty: keep it; a trial becomes Starter) and
/// extends the paid period by `months`. Idempotent: the same reference again changes
/// nothing and answers when and by whom it was confirmed.
#[server(prefix = "/api", endpoint = "admin/transfers/confirm")]
pub async fn confirm_transfer(
    org_id: String,
    reference: String,
    amount: String,
    payer: String,
    proof_url: String,
    months: String,
    plan: String,
) -> Result<Confirmed, AppError> {
    let cx = guard_user(&PAYMENTS_CONFIRM).await?;
    let org_id = crate::input::id(&org_id)?;
    // Gatehouse bills in US dollars.
    let transfer = billing::TransferInput::parse(&reference, &amount, "USD", &payer, &proof_url)?;
    let months = match months.trim() {
        "" => 1,
        raw => raw
            .parse::<i64>()
            .ok()
            .filter(|m| (1..=24).contains(m))
            .ok_or_else(|| AppError::invalid("months", "Enter a whole number of months from 1 to 24."))?,
    };
    let plan = match plan.trim() {
        "" => None,
        raw => Some(
            Plan::parse(raw)
                .filter(|p| *p != Plan::Trial)
                .ok_or_else(|| AppError::invalid("plan", "Choose starter, business or enterprise."))?,
        ),
    };
    let confirm = billing::Confirm {
        transfer: &transfer,
        months,
        plan,
        staff_id: &cx.access.user_id,
        staff_email: &cx.access.email,
    };
    let mut tx = cx.state.db.begin().await?;
    let done = billing::confirm_transfer(&mut tx, &org_id, &confirm, cx.now).await?;
    let metadata = serde_json::json!({
        "reference": transfer.reference,
        "transfer_id": done.transfer_id,
        "already_confirmed": !done.fresh,
        "confirmed_at": done.confirmed_at,
        "confirmed_by": done.confirmed_by,
        "months": if done.fresh { Some(months) } else { None },
        "plan": done.plan.key(),
        "paid_until": done.period_end,
        "amount": transfer.amount.as_ref().map(|(m, c)| crate::finance::policy::format_money(*m, c)),
        "payer": transfer.payer,
        "proof_url": transfer.proof_url,
    });
    audit_both(&mut tx, &cx, "platform.transfer.confirm", &org_id, None, metadata).await?;
    tx.commit().await?;
    Ok(Confirmed {
        fresh: done.fresh,
        reference: transfer.reference,
        confirmed_at: format_local(done.confirmed_at, "UTC"),
        confirmed_by: done.confirmed_by,
        paid_until: done.period_end.map(|at| format_local(at, "UTC")),
    })
}

#[cfg(feature = "ssr")]
fn reason(raw: &str) -> Result<String, AppError> {
    let reason = crate::input::text("reason", raw.trim(), 500, false)?;
    if reason.chars().count() < 3 {
        return Err(AppError::invalid("reason", "Say why, in a few words: the tenant will read it."));
    }
    Ok(reason)
}

/// Suspends tenant `org_id`: its members keep only billing until it is reactivated.
#[server(prefix = "/api", endpoint = "admin/tenants/suspend")]
pub async fn suspend_tenant(org_id: String, reason: String) -> Result<(), AppError> {
    let cx = guard_user(&TENANTS_MANAGE).await?;
    let org_id = crate::input::id(&org_id)?;
    let reason = self::reason(&reason)?;
    let mut tx = cx.state.db.begin().await?;
    billing::suspend(&mut tx, &org_id, &cx.access.user_id, &reason, cx.now).await?;
    audit_both(&mut tx, &cx, "platform.tenant.suspend", &org_id, Some(&reason), serde_json::json!({})).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/admin/tenants/{org_id}?done=suspended"));
    Ok(())
}

/// Lifts the suspension of tenant `org_id`.
#[server(prefix = "/api", endpoint = "admin/tenants/reactivate")]
pub async fn reactivate_tenant(org_id: String, reason: String) -> Result<(), AppError> {
    let cx = guard_user(&TENANTS_MANAGE).await?;
    let org_id = crate::input::id(&org_id)?;
    let reason = self::reason(&reason)?;
    let mut tx = cx.state.db.begin().await?;
    let status = billing::reactivate(&mut tx, &org_id, cx.now).await?;
    let metadata = serde_json::json!({ "status": status.key() });
    audit_both(&mut tx, &cx, "platform.tenant.reactivate", &org_id, Some(&reason), metadata).await?;
    tx.commit().await?;
    leptos_axum::redirect(&format!("/admin/tenants/{org_id}?done=reactivated"));
    Ok(())
}
