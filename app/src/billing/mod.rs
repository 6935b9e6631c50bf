//! Plans and subscriptions (DESIGN §9): the plans and their limits, one table in code; the
//! subscription's status, which the tenant gate reads ([`crate::access::tenant_gate`]);
//! `/settings/billing`, where owners see it and pay by bank transfer.

pub mod api;
pub mod components;
#[cfg(feature = "ssr")]
pub mod server;

use serde::{Deserialize, Serialize};

/// A plan. Its limits are [`Plan::limits`]; nothing about a plan lives in the database but
/// its key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Plan {
    Trial,
    Starter,
    Business,
    Enterprise,
}

/// What a plan allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Limits {
    /// Members (owners included).
    pub seats: i64,
    /// Requests per minute to `/v1`, per API key and per organization.
    pub api_per_minute: i64,
    /// Server-function calls per minute from browsers, per organization (generous: a busy
    /// team never meets it; a runaway script does).
    pub browser_per_minute: i64,
    /// How far back analytics may be read, in days.
    pub analytics_history_days: i64,
    /// The monthly price in US cents (a bank transfer pays for whole months).
    pub monthly_price_cents: i64,
}

impl Plan {
    pub const ALL: [Plan; 4] = [Plan::Trial, Plan::Starter, Plan::Business, Plan::Enterprise];

    /// The plans and their limits: the one table.
    pub const fn limits(self) -> Limits {
        match self {
            Plan::Trial => Limits {
                seats: 5,
                api_per_minute: 60,
                browser_per_minute: 1_200,
                analytics_history_days: 90,
                monthly_price_cents: 0,
            },
            Plan::Starter => Limits {
                seats: 10,
                api_per_minute: 120,
                browser_per_minute: 2_400,
                analytics_history_days: 366,
                monthly_price_cents: 2_900,
            },
            Plan::Business => Limits {
                seats: 50,
                api_per_minute: 600,
                browser_per_minute: 6_000,
                analytics_history_days: 731,
                monthly_price_cents: 9_900,
            },
            Plan::Enterprise => Limits {
                seats: 1_000,
                api_per_minute: 3_000,
                browser_per_minute: 30_000,
                analytics_history_days: 3_660,
                monthly_price_cents: 49_900,
            },
        }
    }

    pub const fn key(self) -> &'static str {
        match self {
            Plan::Trial => "trial",
            Plan::Starter => "starter",
            Plan::Business => "business",
            Plan::Enterprise => "enterprise",
        }
    }

    pub const fn name(self) -> &'static str {
        match self {
            Plan::Trial => "Trial",
            Plan::Starter => "Starter",
            Plan::Business => "Business",
            Plan::Enterprise => "Enterprise",
        }
    }

    pub fn parse(key: &str) -> Option<Plan> {
        Plan::ALL.into_iter().find(|p| p.key() == key)
    }
}

/// A subscription's status, as stored.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Trialing,
    Active,
    PastDue,
    Suspended,
    Canceled,
}

impl Status {
    pub const ALL: [Status; 5] =
        [Status::Trialing, Status::Active, Status::PastDue, Status::Suspended, Status::Canceled];

    pub const fn key(self) -> &'static str {
        match self {
            Status::Trialing => "trialing",
            Status::Active => "active",
            Status::PastDue => "past_due",
            Status::Suspended => "suspended",
            Status::Canceled => "canceled",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            Status::Trialing => "Trial",
            Status::Active => "Active",
            Status::PastDue => "Past due",
            Status::Suspended => "Suspended",
            Status::Canceled => "Canceled",
        }
    }

    pub fn parse(key: &str) -> Option<Status> {
        Status::ALL.into_iter().find(|s| s.key() == key)
    }
}

/// How a subscription is paid.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PaymentMethod {
    Stripe,
    Paypal,
    BankTransfer,
}

impl PaymentMethod {
    pub const ALL: [PaymentMethod; 3] = [PaymentMethod::Stripe, PaymentMethod::Paypal, PaymentMethod::BankTransfer];

    pub const fn key(self) -> &'static str {
        match self {
            PaymentMethod::Stripe => "stripe",
            PaymentMethod::Paypal => "paypal",
            PaymentMethod::BankTransfer => "bank_transfer",
        }
    }

    pub const fn label(self) -> &'static str {
        match self {
            PaymentMethod::Stripe => "Card (Stripe)",
            PaymentMethod::Paypal => "PayPal",
            PaymentMethod::BankTransfer => "Bank transfer",
        }
    }

    pub fn parse(key: &str) -> Option<PaymentMethod> {
        PaymentMethod::ALL.into_iter().find(|m| m.key() == key)
    }
}

/// A bank transfer as the tenant and the operators see it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Transfer {
    pub id: String,
    pub reference: String,
    pub confirmed: bool,
    /// e.g. "99.00 USD", when given.
    pub amount: Option<String>,
    pub payer: Option<String>,
    pub proof_url: Option<String>,
    /// In the viewer's timezone (the organization's; UTC for operators).
    pub submitted: String,
    pub confirmed_at: Option<String>,
    pub confirmed_by: Option<String>,
}

/// Why and since when an organization is suspended.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Suspension {
    pub since: String,
    pub reason: String,
    /// Who suspended it (the operator's address).
    pub by: String,
}

/// The billing page.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Billing {
    pub plan: Plan,
    pub limits: Limits,
    pub status: Status,
    /// The trial's end or the paid period's end, in the organization's timezone.
    pub period_end: Option<String>,
    pub seats_used: i64,
    pub payment_method: Option<PaymentMethod>,
    pub suspension: Option<Suspension>,
    pub transfers: Vec<Transfer>,
    /// Whether the caller may submit a transfer (`org.billing.manage`).
    pub can_manage: bool,
}

/// Dollars and cents of a price in US cents.
pub fn usd(cents: i64) -> String {
    format!("${}.{:02}", cents / 100, cents % 100)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_plans_grow() {
        for plan in Plan::ALL {
            assert_eq!(Plan::parse(plan.key()), Some(plan));
        }
        for status in Status::ALL {
            assert_eq!(Status::parse(status.key()), Some(status));
        }
        for method in PaymentMethod::ALL {
            assert_eq!(PaymentMethod::parse(method.key()), Some(method));
        }
        assert_eq!(Plan::parse("gold"), None);
        // Each plan allows at least what the one before it does.
        for pair in Plan::ALL.windows(2) {
            let (a, b) = (pair[0].limits(), pair[1].limits());
            assert!(b.seats > a.seats && b.api_per_minute > a.api_per_minute);
            assert!(b.analytics_history_days > a.analytics_history_days);
        }
        assert_eq!(usd(9_900), "$99.00");
        assert_eq!(usd(5), "$0.05");
    }
}
