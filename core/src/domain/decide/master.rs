//! Master data (domain.md 3): customers, their credit limits and payment
//! terms, products and lots.

use super::inputs::{Sign, amount, currency, lot_text, opt_text, quantity, text, text_len};
use super::lookup::find_customer;
use crate::domain::commands::{
    RegisterCustomer, RegisterProduct, ReleaseLot, SetCreditLimit, SetPaymentTerms, UpdateCustomer,
};
use crate::domain::error::CommandError;
use crate::domain::events::{
    COMPANY_PREFIX_LEN_DEFAULT, CreditLimitSet, CustomerRegistered, CustomerUpdated, Event,
    LotReleased, PaymentTermsSet, ProductRegistered,
};
use crate::domain::state::WriteModel;
use crate::domain::types::{Actor, Gtin};

/// CustomerRegistered: a name, and an id not yet taken.
pub(super) fn register_customer(
    model: &WriteModel,
    c: &RegisterCustomer,
) -> Result<Vec<Event>, CommandError> {
    text("name", &c.name)?;
    text("region", &c.region)?;
    text("salesperson_id", &c.salesperson_id)?;
    opt_text("tax_id", &c.tax_id)?;
    if model.customers.contains_key(&c.customer_id) {
        return Err(CommandError::exists("customer", c.customer_id));
    }
    Ok(vec![Event::CustomerRegistered(CustomerRegistered {
        customer_id: c.customer_id,
        name: c.name.trim().to_string(),
        kind: c.kind,
        region: c.region.clone(),
        salesperson_id: c.salesperson_id.clone(),
        tax_id: c.tax_id.clone(),
    })])
}

/// CustomerUpdated: the customer exists, and at least one field changes.
pub(super) fn update_customer(
    model: &WriteModel,
    c: &UpdateCustomer,
) -> Result<Vec<Event>, CommandError> {
    find_customer(model, c.customer_id)?;
    let texts = [
        ("name", &c.name),
        ("region", &c.region),
        ("salesperson_id", &c.salesperson_id),
    ];
    for (field, value) in texts {
        if let Some(value) = value {
            text(field, value)?;
        }
    }
    opt_text("tax_id", &c.tax_id)?;
    if c.name.is_none()
        && c.kind.is_none()
        && c.region.is_none()
        && c.salesperson_id.is_none()
        && c.tax_id.is_none()
    {
        return Err(CommandError::invalid(
            "fields",
            "an update must change at least one field",
        ));
    }
    Ok(vec![Event::CustomerUpdated(CustomerUpdated {
        customer_id: c.customer_id,
        name: c.name.as_ref().map(|n| n.trim().to_string()),
        kind: c.kind,
        region: c.region.clone(),
        salesperson_id: c.salesperson_id.clone(),
        tax_id: c.tax_id.clone(),
    })])
}

/// CreditLimitSet: limit >= 0, in the currency of the customer's first
/// limit once one is set.
pub(super) fn set_credit_limit(
    model: &WriteModel,
    actor: &Actor,
    c: &SetCreditLimit,
) -> Result<Vec<Event>, CommandError> {
    let currency = currency(&c.currency)?;
    let limit = amount("limit", c.limit, currency, Sign::NonNegative)?;
    text_len("reason", &c.reason)?;
    let cust = find_customer(model, c.customer_id)?;
    if let Some(credit) = &cust.credit
        && credit.limit.currency != currency
    {
        return Err(CommandError::CurrencyMismatch {
            expected: credit.limit.currency.to_string(),
            got: currency.to_string(),
        });
    }
    Ok(vec![Event::CreditLimitSet(CreditLimitSet {
        customer_id: c.customer_id,
        limit,
        grade: c.grade,
        reason: c.reason.clone(),
        approved_by: actor.user_id.clone(),
    })])
}

/// PaymentTermsSet: the customer exists and the terms are valid
/// (domain.md 5); they are stored with their shares normalised.
pub(super) fn set_payment_terms(
    model: &WriteModel,
    c: &SetPaymentTerms,
) -> Result<Vec<Event>, CommandError> {
    find_customer(model, c.customer_id)?;
    c.terms.validate()?;
    opt_text("contract_id", &c.contract_id)?;
    Ok(vec![Event::PaymentTermsSet(PaymentTermsSet {
        customer_id: c.customer_id,
        contract_id: c.contract_id.clone(),
        terms: c.terms.canonical(),
    })])
}

/// ProductRegistered: a GTIN with a valid check digit, not yet registered,
/// and a GS1 company prefix of 6 to 12 digits.
pub(super) fn register_product(
    model: &WriteModel,
    c: &RegisterProduct,
) -> Result<Vec<Event>, CommandError> {
    let gtin = Gtin::parse(&c.gtin)?;
    text("name", &c.name)?;
    opt_text("model", &c.model)?;
    opt_text("registration_no", &c.registration_no)?;
    let company_prefix_len = c.company_prefix_len.unwrap_or(COMPANY_PREFIX_LEN_DEFAULT);
    if !(6..=12).contains(&company_prefix_len) {
        return Err(CommandError::invalid(
            "company_prefix_len",
            format!("a GS1 company prefix has 6 to 12 digits, got {company_prefix_len}"),
        ));
    }
    if model.products.contains_key(&gtin) {
        return Err(CommandError::exists("product", gtin));
    }
    Ok(vec![Event::ProductRegistered(ProductRegistered {
        gtin,
        name: c.name.trim().to_string(),
        model: c.model.clone(),
        risk_class: c.risk_class,
        registration_no: c.registration_no.clone(),
        company_prefix_len,
    })])
}

/// LotReleased: the product exists, the lot expires after it is made, and
/// its number is new for the GTIN.
pub(super) fn release_lot(model: &WriteModel, c: &ReleaseLot) -> Result<Vec<Event>, CommandError> {
    let gtin = Gtin::parse(&c.gtin)?;
    lot_text("lot", &c.lot)?;
    let quantity = quantity("quantity", c.quantity)?;
    if c.expires_on <= c.manufactured_on {
        return Err(CommandError::invalid(
            "expires_on",
            format!(
                "a lot must expire after it is manufactured ({} is not after {})",
                c.expires_on, c.manufactured_on
            ),
        ));
    }
    if !model.products.contains_key(&gtin) {
        return Err(CommandError::not_found("product", &gtin));
    }
    if model.lot(&gtin, &c.lot).is_some() {
        return Err(CommandError::exists("lot", format!("{} of {gtin}", c.lot)));
    }
    Ok(vec![Event::LotReleased(LotReleased {
        gtin,
        lot: c.lot.clone(),
        manufactured_on: c.manufactured_on,
        expires_on: c.expires_on,
        quantity,
    })])
}
