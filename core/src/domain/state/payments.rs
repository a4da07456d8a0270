//! Payments (domain.md 4: PaymentReceived, PaymentAllocated,
//! PaymentReversed) and their fold. A payment's unallocated rest lowers its
//! customer's exposure (domain.md 6); an allocation moves money from it to
//! an invoice's installments, and a reversal undoes the payment and every
//! allocation it made.

use rust_decimal::Decimal;
use smallvec::SmallVec;

use super::{Folded, WriteModel, broken, insert_new, known};
use crate::domain::events::{PaymentAllocated, PaymentReceived, PaymentReversed};
use crate::ids::{CustomerId, InvoiceId};
use crate::money::Money;

/// A payment.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Payment {
    /// Payer.
    pub customer_id: CustomerId,
    /// Amount.
    pub amount: Money,
    /// Allocated so far.
    pub allocated: Decimal,
    /// Per invoice installment: amount allocated.
    pub allocations: SmallVec<[(InvoiceId, u32, Decimal); 1]>,
    /// Reversed.
    pub reversed: bool,
}

impl Payment {
    /// Not yet allocated (nothing, once reversed: the money bounced).
    pub fn unallocated(&self) -> Decimal {
        if self.reversed {
            return Decimal::ZERO;
        }
        self.amount.amount - self.allocated
    }
}

/// Whether `payment` can allocate what `e` says: it is not reversed, the
/// amount is in its currency and within what it has not allocated yet.
/// `decide` refuses anything else; a forged log may hold it, and folding
/// it would leave running totals no recomputation gives.
fn allocatable(payment: &Payment, e: &PaymentAllocated) -> Folded {
    let fits = e.amount.currency == payment.amount.currency
        && e.amount.amount > Decimal::ZERO
        && payment.allocated + e.amount.amount <= payment.amount.amount;
    if payment.reversed || !fits {
        return Err(broken(format!(
            "payment {} of {} ({} allocated{}) cannot allocate {}",
            e.payment_id,
            payment.amount,
            payment.allocated,
            if payment.reversed { ", reversed" } else { "" },
            e.amount
        )));
    }
    Ok(())
}

impl WriteModel {
    pub(super) fn payment_received(&mut self, e: &PaymentReceived) -> Folded {
        let customer = known(&mut self.customers, "customer", &e.customer_id)?;
        customer.exposure_mut(e.amount.currency).unallocated += e.amount.amount;
        customer.payments.push(e.payment_id);
        let payment = Payment {
            customer_id: e.customer_id,
            amount: e.amount,
            allocated: Decimal::ZERO,
            allocations: SmallVec::new(),
            reversed: false,
        };
        insert_new(&mut self.payments, e.payment_id, Box::new(payment), || {
            format!("payment {} received twice", e.payment_id)
        })
    }

    pub(super) fn payment_allocated(&mut self, e: &PaymentAllocated) -> Folded {
        let amount = e.amount.amount;
        let payment = known(&mut self.payments, "payment", &e.payment_id)?;
        allocatable(payment, e)?;
        let taken = self.reduce_invoice(e.invoice_id, e.amount, e.installment_no)?;
        let payment = known(&mut self.payments, "payment", &e.payment_id)?;
        payment.allocated += amount;
        payment
            .allocations
            .extend(taken.into_iter().map(|(no, a)| (e.invoice_id, no, a)));
        let customer_id = payment.customer_id;
        known(&mut self.customers, "customer", &customer_id)?
            .exposure_mut(e.amount.currency)
            .unallocated -= amount;
        Ok(())
    }

    /// The money bounced: what the payment allocated is open again on the
    /// installments it came from, and nothing of it stays on account.
    pub(super) fn payment_reversed(&mut self, e: &PaymentReversed) -> Folded {
        let payment = known(&mut self.payments, "payment", &e.payment_id)?;
        let allocations = std::mem::take(&mut payment.allocations);
        let (customer_id, currency) = (payment.customer_id, payment.amount.currency);
        let unallocated = payment.unallocated();
        let allocated = payment.allocated;
        payment.allocated = Decimal::ZERO;
        payment.reversed = true;
        for (invoice_id, no, amount) in allocations {
            known(&mut self.invoices, "invoice", &invoice_id)?
                .restore(no, amount)
                .ok_or_else(|| {
                    broken(format!("installment {no} of invoice {invoice_id} unknown"))
                })?;
        }
        let customer = known(&mut self.customers, "customer", &customer_id)?;
        let exposure = customer.exposure_mut(currency);
        exposure.unallocated -= unallocated;
        exposure.open_receivables += allocated;
        Ok(())
    }
}
