//! Billing server functions: reading the subscription and submitting a bank transfer. Both
//! are open whatever the organization's standing (their endpoints' effect is billing), so a
//! tenant that is past due or suspended can still pay.

use super::Billing;
use crate::access::{Permission, Requirement};
use crate::error::AppError;
use leptos::prelude::*;

#[cfg(feature = "ssr")]
use {
    super::{PaymentMethod, server},
    crate::access::guard,
    crate::time::format_local,
};

/// Seeing the plan, status and transfers.
pub const BILLING_READ: Requirement = Requirement::all(&[Permission::OrgBillingRead]);

/// Choosing the payment method and submitting a transfer.
pub const BILLING_MANAGE: Requirement = Requirement::all(&[Permission::OrgBillingManage]);

/// The subscription of the active organization, its seats and bank transfers.
#[server(prefix = "/api", endpoint = "billing")]
pub async fn get_billing() -> Result<Billing, AppError> {
    let cx = guard(&BILLING_READ).await?;
    let mut conn = cx.state.db.conn().await?;
    let row = server::find(&mut conn, cx.org_id()).await?;
    let tz = cx.org.timezone.clone();
    Ok(Billing {
        plan: row.plan(),
        limits: row.plan().limits(),
        status: row.status(cx.now),
        period_end: row.period_end().map(|at| format_local(at, &tz)),
        seats_used: server::seats_used(&mut conn, cx.org_id()).await?,
        payment_method: row.payment_method.as_deref().and_then(PaymentMethod::parse),
        suspension: row.suspension(&tz),
        transfers: server::transfers(&mut conn, cx.org_id(), &tz, 20).await?,
        can_manage: cx.access.allows(&BILLING_MANAGE),
    })
}

/// Pays by bank transfer: records the reference (and optionally amount, payer and a proof
/// link) for platform staff to confirm, and makes bank transfer the payment method.
#[server(prefix = "/api", endpoint = "billing/transfers/submit")]
pub async fn submit_transfer(
    reference: String,
    amount: String,
    currency: String,
    payer: String,
    proof_url: String,
) -> Result<(), AppError> {
    let cx = guard(&BILLING_MANAGE).await?;
    let input = server::TransferInput::parse(&reference, &amount, &currency, &payer, &proof_url)?;
    let mut tx = cx.state.db.begin().await?;
    let id = server::submit_transfer(&mut tx, cx.org_id(), cx.user_id(), &input, cx.now).await?;
    let amount = input.amount.as_ref().map(|(minor, currency)| crate::finance::policy::format_money(*minor, currency));
    cx.audit(
        &mut tx,
        "billing.transfer.submit",
        ("bank_transfer", &id),
        serde_json::json!({ "reference": input.reference, "amount": amount }),
    )
    .await?;
    tx.commit().await?;
    leptos_axum::redirect("/settings/billing?done=transfer");
    Ok(())
}
