//! The collections rules (read-models.md "Collections and early warning")
//! at (D, p): alerts from the open items of the receivables projection and
//! the grades, held orders and promises of the credit projection.
//!
//! Per open installment, on its undisputed part (disputed amounts raise no
//! dunning), with days = D - due date:
//! - `DUE_SOON` (level 1, the reminder role) from the reminder offset
//!   before due (the risky grades' offset for C/D) to the day before;
//! - `DUE_TODAY` (level 2, each due role) on the due date;
//! - `OVERDUE` (level 2, each due role) until the first escalation;
//! - `OVERDUE_<days>` (level 3, 4, ... for each escalation step, its role)
//!   from that many days overdue, the highest step reached;
//! - `DAILY_TASK` (level 2, the daily-task role) for a risky grade, every
//!   day while overdue: its id names D, so each day's is a new alert;
//! - `KEY_AMOUNT` (level 2, the key-amount role) from issue while open,
//!   for an installment of the key amount or more.
//!
//! Per customer and currency: `CUSTOMER_OVERDUE_TOTAL` (level 5) when its
//! undisputed overdue total reaches the threshold. Per held order placed
//! on or before D: `ORDER_HELD` (level 3, the held-order role).
//!
//! A promise to pay recorded on or before D quiets that customer's
//! dunning (every rule but `KEY_AMOUNT` and `ORDER_HELD`, which chase no
//! one) from the activity's date until the promised date + the grace days.
//!
//! An alert's id is its rule, its subject and, for a daily task, D: the
//! same condition keeps its id from one day and one position to the next,
//! so a dashboard can tell a new alert from one it has shown.

use arledger_core::ids::CustomerId;
use arledger_core::money::Currency;
use chrono::{Duration, NaiveDate};
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use serde::Serialize;

use super::settings::AlertSettings;
use crate::credit::Credit;
use crate::receivables::{OpenItem, Receivables, Scope};
use crate::scalars::{at_scale, currency_code, optional_decimal};

/// One alert: the contract's `Alert`, with its currency.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Alert {
    /// Stable id (see the module docs).
    pub id: String,
    /// The customer.
    pub customer_id: CustomerId,
    /// The invoice, for item rules.
    pub invoice_id: Option<arledger_core::ids::InvoiceId>,
    /// Escalation level, from 1.
    pub level: i32,
    /// Who should act.
    pub assignee_role: String,
    /// Stable, translatable code (`DUE_SOON`, `OVERDUE_30`, ...).
    pub reason_code: String,
    /// The sentence.
    pub reason: String,
    /// The due date, for item rules.
    pub due_date: Option<NaiveDate>,
    /// The amount concerned.
    #[serde(serialize_with = "optional_decimal")]
    pub amount: Option<Decimal>,
    /// Its currency.
    #[serde(serialize_with = "currency_code")]
    pub currency: Currency,
}

/// Where alerts are asked for.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AlertQuery {
    /// D.
    pub as_of: NaiveDate,
    /// p.
    pub known_at_position: u64,
    /// Only this customer.
    pub customer: Option<CustomerId>,
    /// Only what the caller may see.
    pub scope: Option<Scope>,
}

/// The alerts at the query's (D, p), highest level first, then by
/// customer and id.
pub fn alerts(
    receivables: &Receivables,
    credit: &Credit,
    settings: &AlertSettings,
    query: &AlertQuery,
) -> Vec<Alert> {
    let (d, p) = (query.as_of, query.known_at_position);
    let seen = |c: CustomerId| match &query.scope {
        None => true,
        Some(Scope::Customers(ids)) => ids.contains(&c),
        Some(Scope::Salesperson(s)) => credit.salesperson_at(c, p).as_deref() == Some(s.as_str()),
    };
    let mut out = Vec::new();
    let mut overdue: FxHashMap<(CustomerId, Currency), Decimal> = FxHashMap::default();
    let mut quiet: FxHashMap<CustomerId, bool> = FxHashMap::default();
    for item in receivables.open_items(d, p, query.customer) {
        if !seen(item.customer_id) {
            continue;
        }
        let quiet = *quiet
            .entry(item.customer_id)
            .or_insert_with(|| promised(credit, settings, item.customer_id, d, p));
        let risky = (credit.grade_at(item.customer_id, p))
            .is_some_and(|g| settings.risky_grades.contains(&g));
        item_alerts(&item, d, risky, quiet, settings, &mut out);
        let undisputed = item.open - item.disputed;
        if item.due_date.is_some_and(|due| due < d) && undisputed > Decimal::ZERO {
            *overdue
                .entry((item.customer_id, item.currency))
                .or_default() += undisputed;
        }
    }
    for ((customer, currency), total) in overdue {
        if total >= settings.customer_overdue_total
            && !quiet.get(&customer).copied().unwrap_or(false)
        {
            out.push(Alert {
                id: format!("CUSTOMER_OVERDUE_TOTAL:{customer}:{currency}"),
                customer_id: customer,
                invoice_id: None,
                level: 5,
                assignee_role: settings.customer_overdue_role.clone(),
                reason_code: "CUSTOMER_OVERDUE_TOTAL".into(),
                reason: format!(
                    "{} {currency} overdue in total, at or over the {} threshold: escalate to management",
                    at_scale(total, currency),
                    settings.customer_overdue_total
                ),
                due_date: None,
                amount: Some(at_scale(total, currency)),
                currency,
            });
        }
    }
    held_alerts(credit, settings, query, &seen, &mut out);
    out.sort_by(|a, b| (b.level, a.customer_id, &a.id).cmp(&(a.level, b.customer_id, &b.id)));
    out
}

/// Whether a promise to pay quiets `customer` on D.
fn promised(
    credit: &Credit,
    settings: &AlertSettings,
    customer: CustomerId,
    d: NaiveDate,
    p: u64,
) -> bool {
    let grace = Duration::days(i64::from(settings.promise_grace_days));
    credit.promises_at(customer, p).iter().any(|pr| {
        pr.on <= d
            && pr
                .promised
                .checked_add_signed(grace)
                .is_some_and(|end| d <= end)
    })
}

fn held_alerts(
    credit: &Credit,
    settings: &AlertSettings,
    query: &AlertQuery,
    seen: &dyn Fn(CustomerId) -> bool,
    out: &mut Vec<Alert>,
) {
    let p = query.known_at_position;
    let customers = match query.customer {
        Some(c) => vec![c],
        None => credit.customers_at(p),
    };
    for customer in customers.into_iter().filter(|&c| seen(c)) {
        for held in credit
            .held_at(customer, p)
            .into_iter()
            .filter(|h| h.placed_on <= query.as_of)
        {
            let reasons: Vec<String> = held.reasons.iter().map(|r| format!("{r:?}")).collect();
            out.push(Alert {
                id: format!("ORDER_HELD:{}", held.order_id),
                customer_id: customer,
                invoice_id: None,
                level: 3,
                assignee_role: settings.held_order_role.clone(),
                reason_code: "ORDER_HELD".into(),
                reason: format!(
                    "order {} of {} {} is held ({}): release or reject it",
                    held.number,
                    at_scale(held.value, held.currency),
                    held.currency,
                    reasons.join(", ")
                ),
                due_date: None,
                amount: Some(at_scale(held.value, held.currency)),
                currency: held.currency,
            });
        }
    }
}

/// Makes the alerts of one open item.
struct ItemAlert<'i> {
    item: &'i OpenItem,
    /// "invoice N installment k".
    what: String,
    /// "<invoice id>:<installment>".
    subject: String,
}

impl ItemAlert<'_> {
    fn new(item: &OpenItem) -> ItemAlert<'_> {
        ItemAlert {
            item,
            what: format!(
                "invoice {} installment {}",
                item.invoice_number, item.installment_no
            ),
            subject: format!("{}:{}", item.invoice_id, item.installment_no),
        }
    }

    fn make(
        &self,
        code: &str,
        id: String,
        level: i32,
        role: &str,
        reason: String,
        amount: Decimal,
    ) -> Alert {
        let c = self.item.currency;
        Alert {
            id,
            customer_id: self.item.customer_id,
            invoice_id: Some(self.item.invoice_id),
            level,
            assignee_role: role.to_string(),
            reason_code: code.to_string(),
            reason,
            due_date: self.item.due_date,
            amount: Some(at_scale(amount, c)),
            currency: c,
        }
    }
}

/// The alerts of one open item.
fn item_alerts(
    item: &OpenItem,
    d: NaiveDate,
    risky: bool,
    quiet: bool,
    settings: &AlertSettings,
    out: &mut Vec<Alert>,
) {
    let a = ItemAlert::new(item);
    let c = item.currency;
    if item.amount >= settings.key_amount {
        let reason = format!(
            "{}: {} {c}, at or over the key amount {}",
            a.what,
            at_scale(item.amount, c),
            settings.key_amount
        );
        let id = format!("KEY_AMOUNT:{}", a.subject);
        out.push(a.make(
            "KEY_AMOUNT",
            id,
            2,
            &settings.key_amount_role,
            reason,
            item.open,
        ));
    }
    let undisputed = item.open - item.disputed;
    if let Some(due) = item.due_date
        && !quiet
        && undisputed > Decimal::ZERO
    {
        dunning(&a, due, d, risky, undisputed, settings, out);
    }
}

/// The time-based alerts of an item's undisputed part.
fn dunning(
    a: &ItemAlert<'_>,
    due: NaiveDate,
    d: NaiveDate,
    risky: bool,
    undisputed: Decimal,
    settings: &AlertSettings,
    out: &mut Vec<Alert>,
) {
    let (what, subject) = (&a.what, &a.subject);
    let days = (d - due).num_days();
    let shown = format!(
        "{} {}",
        at_scale(undisputed, a.item.currency),
        a.item.currency
    );
    let lead = if risky {
        settings.risky_reminder_days_before_due
    } else {
        settings.reminder_days_before_due
    };
    if days < 0 {
        if -days <= i64::from(lead) {
            let reason = format!("{what}: {shown} due on {due}, in {} days", -days);
            let id = format!("DUE_SOON:{subject}");
            out.push(a.make(
                "DUE_SOON",
                id,
                1,
                &settings.reminder_role,
                reason,
                undisputed,
            ));
        }
        return;
    }
    if risky && days > 0 {
        let reason =
            format!("{what}: {shown} overdue {days} days; the grade needs a daily follow-up");
        let id = format!("DAILY_TASK:{subject}:{d}");
        out.push(a.make(
            "DAILY_TASK",
            id,
            2,
            &settings.daily_task_role,
            reason,
            undisputed,
        ));
    }
    let step = (0i32..)
        .zip(&settings.escalations)
        .filter(|(_, e)| days >= i64::from(e.days))
        .last();
    if let Some((k, e)) = step {
        let code = format!("OVERDUE_{}", e.days);
        let reason = format!(
            "{what}: {shown} overdue {days} days (due {due}): escalate to {}",
            e.role
        );
        out.push(a.make(
            &code,
            format!("{code}:{subject}"),
            3 + k,
            &e.role,
            reason,
            undisputed,
        ));
        return;
    }
    let (code, reason) = if days == 0 {
        ("DUE_TODAY", format!("{what}: {shown} due today"))
    } else {
        (
            "OVERDUE",
            format!("{what}: {shown} overdue {days} days (due {due})"),
        )
    };
    for role in &settings.due_roles {
        let id = format!("{code}:{subject}:{role}");
        out.push(a.make(code, id, 2, role, reason.clone(), undisputed));
    }
}
