//! Aging at (D, p) (read-models.md "Aging"): each open installment in the
//! bucket of its days, per group and currency; payments on account and
//! disputed amounts in their own columns; totals per currency as the sums
//! of the rows. And the drill-down: one customer's open items.
//!
//! A query reads only the invoices and payments recorded at or before p
//! (a prefix of each), and skips in O(1) those settled at (D, p).

use arledger_core::ids::CustomerId;
use arledger_core::money::Currency;
use rust_decimal::Decimal;
use rustc_hash::FxHashMap;
use std::collections::BTreeMap;

use super::buckets::Buckets;
use super::fill::Scratch;
use super::query::{AgingError, AgingGroup, AgingQuery, Scope};
use super::report::{AgingReport, AgingRow, AgingTotal, ReceivableItem, at_scale};
use super::stamp::At;
use super::state::{CustomerVersion, Invoice, NONE, State};

/// One group's sums in one currency.
#[derive(Debug)]
struct Sums {
    group: u32,
    currency: Currency,
    amounts: Vec<Decimal>,
    unallocated: Decimal,
    disputed: Decimal,
}

/// The sums of a report as its invoices and payments are read.
struct Tally<'s> {
    state: &'s State,
    at: At,
    group_by: AgingGroup,
    buckets: usize,
    /// Per customer: its group, or `NONE` until first needed.
    group_of: Vec<u32>,
    /// Per customer: the sums it last added to, and their currency (most
    /// customers deal in one: no hashing per invoice).
    last_of: Vec<Option<(Currency, usize)>>,
    index: FxHashMap<(u32, Currency), usize>,
    sums: Vec<Sums>,
}

impl<'s> Tally<'s> {
    fn new(state: &'s State, at: At, group_by: AgingGroup, buckets: usize) -> Tally<'s> {
        Tally {
            state,
            at,
            group_by,
            buckets,
            group_of: vec![NONE; state.customers.len()],
            last_of: vec![None; state.customers.len()],
            index: FxHashMap::default(),
            sums: Vec::new(),
        }
    }

    /// The group of customer `customer` at p: itself, or its region or
    /// salesperson as known at p (interned), or one for all.
    fn group(&mut self, customer: u32) -> u32 {
        let slot = usize::try_from(customer).unwrap_or(usize::MAX);
        if let Some(&group) = self.group_of.get(slot).filter(|&&g| g != NONE) {
            return group;
        }
        let version = self.state.version_at(customer, self.at.position);
        let group = match self.group_by {
            AgingGroup::Customer => customer,
            AgingGroup::Region => version.map_or(NONE, |v| v.region),
            AgingGroup::Salesperson => version.map_or(NONE, |v| v.salesperson),
            AgingGroup::Currency => 0,
        };
        if let Some(cached) = self.group_of.get_mut(slot) {
            *cached = group;
        }
        group
    }

    /// The sums of `customer`'s group in `currency`.
    fn sums(&mut self, customer: u32, currency: Currency) -> &mut Sums {
        let slot = usize::try_from(customer).unwrap_or(usize::MAX);
        let last = self.last_of.get(slot).copied().flatten();
        let i = match last {
            Some((c, i)) if c == currency => i,
            _ => self.sums_index(customer, currency),
        };
        if let Some(last) = self.last_of.get_mut(slot) {
            *last = Some((currency, i));
        }
        &mut self.sums[i]
    }

    /// The index in `sums` of `customer`'s group in `currency`, made if new.
    fn sums_index(&mut self, customer: u32, currency: Currency) -> usize {
        let group = self.group(customer);
        match self.index.get(&(group, currency)) {
            Some(&i) => i,
            None => {
                let zero = at_scale(Decimal::ZERO, currency);
                self.sums.push(Sums {
                    group,
                    currency,
                    amounts: vec![zero; self.buckets],
                    unallocated: zero,
                    disputed: zero,
                });
                self.index.insert((group, currency), self.sums.len() - 1);
                self.sums.len() - 1
            }
        }
    }
}

impl State {
    /// Per customer index, whether `scope` lets a query at `position` see
    /// it; `None` when there is no scope (everyone is seen).
    pub(super) fn visible(&self, scope: Option<&Scope>, position: u64) -> Option<Vec<bool>> {
        let mut visible = vec![false; self.customers.len()];
        let seen: Vec<usize> = match scope? {
            Scope::Customers(ids) => (ids.iter())
                .filter_map(|id| self.customer_index.get(id))
                .filter_map(|&i| usize::try_from(i).ok())
                .collect(),
            Scope::Salesperson(salesperson) => (0u32..)
                .zip(&self.customers)
                .filter(|&(c, _)| {
                    self.version_at(c, position)
                        .is_some_and(|v| self.texts.get(v.salesperson) == salesperson)
                })
                .filter_map(|(c, _)| usize::try_from(c).ok())
                .collect(),
        };
        for index in seen {
            if let Some(slot) = visible.get_mut(index) {
                *slot = true;
            }
        }
        Some(visible)
    }

    /// Customer `customer`'s master data as known at `position`.
    pub(super) fn version_at(&self, customer: u32, position: u64) -> Option<CustomerVersion> {
        let versions = &self
            .customers
            .get(usize::try_from(customer).ok()?)?
            .versions;
        let n = versions.partition_point(|v| v.position <= position);
        versions.get(n.checked_sub(1)?).copied()
    }

    /// The aging report of `query`.
    pub(super) fn aging(&self, query: &AgingQuery) -> Result<AgingReport, AgingError> {
        let buckets = Buckets::new(query.basis, &query.bucket_days)?;
        let at = At {
            date: query.as_of,
            position: query.known_at_position,
        };
        let mut tally = Tally::new(self, at, query.group_by, buckets.len());
        let visible = self.visible(query.scope.as_ref(), at.position);
        let seen = |customer: u32| {
            visible.as_ref().is_none_or(|v| {
                usize::try_from(customer).ok().and_then(|c| v.get(c)) == Some(&true)
            })
        };
        let mut s = Scratch::default();
        for (screen, invoice) in self.invoices_known(at.position) {
            if screen.may_be_open(at, query.currency) && seen(invoice.customer) {
                self.tally_invoice(invoice, at, &buckets, &mut s, &mut tally);
            }
        }
        for (screen, payment) in self.payments_known(at.position) {
            if !screen.may_be_open(at, query.currency) || !seen(payment.customer) {
                continue;
            }
            let unallocated = self.unallocated_at(payment, at);
            if !unallocated.is_zero() {
                tally.sums(payment.customer, payment.currency).unallocated += unallocated;
            }
        }
        Ok(AgingReport {
            as_of_date: at.date,
            known_at_position: at.position,
            basis: query.basis,
            buckets: buckets.describe(),
            rows: self.rows(tally),
            totals: Vec::new(),
        }
        .with_totals())
    }

    /// Adds `invoice`'s open installments at `at` to their buckets, and
    /// its disputed amount.
    fn tally_invoice(
        &self,
        invoice: &Invoice,
        at: At,
        buckets: &Buckets<'_>,
        s: &mut Scratch,
        tally: &mut Tally<'_>,
    ) {
        let open = self.fill(invoice, at, s);
        if open <= Decimal::ZERO {
            return;
        }
        let sums = tally.sums(invoice.customer, invoice.currency);
        for (&amount, &due) in s.open.iter().zip(&s.due) {
            let days = buckets.days(at.date, invoice.invoice_date, due);
            if let Some(bucket) = sums.amounts.get_mut(buckets.of(days)) {
                *bucket += amount;
            }
        }
        if let Some(disputed) = self.dispute_at(invoice, at) {
            sums.disputed += disputed.min(open);
        }
    }

    /// The rows of a tally with anything in them, sorted by key, then
    /// currency code.
    fn rows(&self, tally: Tally<'_>) -> Vec<AgingRow> {
        let (group_by, position) = (tally.group_by, tally.at.position);
        let mut rows: Vec<AgingRow> = tally
            .sums
            .into_iter()
            .filter(|s| {
                !(s.amounts.iter().all(Decimal::is_zero)
                    && s.unallocated.is_zero()
                    && s.disputed.is_zero())
            })
            .map(|s| {
                let (key, name) = self.key_of(group_by, s.group, s.currency, position);
                let c = s.currency;
                let amounts: Vec<Decimal> = s.amounts.iter().map(|&a| at_scale(a, c)).collect();
                let total = at_scale(amounts.iter().sum(), c);
                let unallocated = at_scale(s.unallocated, c);
                AgingRow {
                    key,
                    name,
                    currency: c,
                    net: at_scale(total - unallocated, c),
                    amounts,
                    total,
                    unallocated,
                    disputed: at_scale(s.disputed, c),
                }
            })
            .collect();
        rows.sort_by(|a, b| (&a.key, a.currency.code()).cmp(&(&b.key, b.currency.code())));
        rows
    }

    /// A group's key and name as known at `position`.
    fn key_of(
        &self,
        group_by: AgingGroup,
        group: u32,
        currency: Currency,
        position: u64,
    ) -> (String, Option<String>) {
        match group_by {
            AgingGroup::Customer => {
                let customer = usize::try_from(group)
                    .ok()
                    .and_then(|c| self.customers.get(c));
                let name = self
                    .version_at(group, position)
                    .map(|v| self.texts.get(v.name).to_string());
                (
                    customer.map_or_else(String::new, |c| c.id.to_string()),
                    name,
                )
            }
            AgingGroup::Region | AgingGroup::Salesperson => {
                (self.texts.get(group).to_string(), None)
            }
            AgingGroup::Currency => (currency.code().to_string(), None),
        }
    }

    /// Customer `customer`'s open items at the query's (D, p), sorted by
    /// invoice date, number and installment.
    pub(super) fn items(
        &self,
        query: &AgingQuery,
        customer: CustomerId,
    ) -> Result<Vec<ReceivableItem>, AgingError> {
        let buckets = Buckets::new(query.basis, &query.bucket_days)?;
        let at = At {
            date: query.as_of,
            position: query.known_at_position,
        };
        let unknown = AgingError::UnknownCustomer {
            customer,
            known_at_position: at.position,
        };
        let index = *self.customer_index.get(&customer).ok_or(unknown.clone())?;
        self.version_at(index, at.position).ok_or(unknown)?;
        let invoices = usize::try_from(index)
            .ok()
            .and_then(|c| self.customers.get(c))
            .map_or(&[][..], |c| &c.invoices[..]);
        let mut items = Vec::new();
        let mut s = Scratch::default();
        for &i in invoices {
            let at_i = usize::try_from(i).ok();
            let (Some(screen), Some(invoice)) = (
                at_i.and_then(|i| self.invoice_screens.get(i)),
                at_i.and_then(|i| self.invoices.get(i)),
            ) else {
                continue;
            };
            if invoice.position > at.position {
                break;
            }
            if screen.may_be_open(at, query.currency) {
                self.items_of(i, invoice, at, &buckets, &mut s, &mut items);
            }
        }
        items.sort_by(|a, b| {
            (a.invoice_date, &a.invoice_number, a.installment_no).cmp(&(
                b.invoice_date,
                &b.invoice_number,
                b.installment_no,
            ))
        });
        Ok(items)
    }

    /// Pushes invoice number `index`'s open installments at `at` to `items`.
    fn items_of(
        &self,
        index: u32,
        invoice: &Invoice,
        at: At,
        buckets: &Buckets<'_>,
        s: &mut Scratch,
        items: &mut Vec<ReceivableItem>,
    ) {
        let i = usize::try_from(index).unwrap_or(usize::MAX);
        let (Some(&invoice_id), Some(customer)) = (
            self.invoice_ids.get(i),
            usize::try_from(invoice.customer)
                .ok()
                .and_then(|c| self.customers.get(c)),
        ) else {
            return;
        };
        self.fill(invoice, at, s);
        let disputed = self.dispute_at(invoice, at).is_some();
        let c = invoice.currency;
        for ((installment, &open), &due) in self
            .installments_of(invoice)
            .iter()
            .zip(&s.open)
            .zip(&s.due)
        {
            if open <= Decimal::ZERO {
                continue;
            }
            let days = buckets.days(at.date, invoice.invoice_date, due);
            items.push(ReceivableItem {
                invoice_id,
                invoice_number: self.invoice_numbers.get(i).to_string(),
                customer_id: customer.id,
                currency: c,
                installment_no: installment.no,
                invoice_date: invoice.invoice_date,
                due_date: due,
                days,
                bucket: buckets.of(days),
                amount: at_scale(installment.amount, c),
                open: at_scale(open, c),
                disputed,
            });
        }
    }
}

impl AgingReport {
    /// The report with its totals: per currency, the sums of its rows.
    fn with_totals(mut self) -> AgingReport {
        let mut totals: BTreeMap<Currency, AgingTotal> = BTreeMap::new();
        for row in &self.rows {
            let zero = at_scale(Decimal::ZERO, row.currency);
            let total = totals.entry(row.currency).or_insert_with(|| AgingTotal {
                currency: row.currency,
                amounts: vec![zero; row.amounts.len()],
                total: zero,
                unallocated: zero,
                disputed: zero,
                net: zero,
            });
            for (sum, amount) in total.amounts.iter_mut().zip(&row.amounts) {
                *sum += amount;
            }
            total.total += row.total;
            total.unallocated += row.unallocated;
            total.disputed += row.disputed;
            total.net += row.net;
        }
        self.totals = totals.into_values().collect();
        self
    }
}
