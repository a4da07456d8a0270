//! Bad input through the real ledger: each is a typed error naming the rule,
//! and nothing is appended.

#![allow(clippy::unwrap_used, clippy::expect_used)] // tests may panic on broken expectations

use std::sync::Arc;

use arledger_core::clock::ManualClock;
use arledger_core::domain::commands::SetCreditLimit;
use arledger_core::domain::{Actor, Command, CommandError, ErrorCode};
use arledger_core::ids::{CustomerId, InvoiceId, PaymentId};
use arledger_core::log::{Ledger, LedgerOptions, SubmitError};
use arledger_core::sample;
use chrono::{TimeZone, Utc};
use rust_decimal_macros::dec;
use uuid::Uuid;

fn ledger(dir: &std::path::Path) -> Ledger {
    let clock = ManualClock::new(Utc.with_ymd_and_hms(2026, 7, 1, 9, 0, 0).unwrap());
    Ledger::open(dir, LedgerOptions::new(Arc::new(clock))).unwrap()
}

fn refused(ledger: &Ledger, command: Command) -> CommandError {
    let before = ledger.head();
    let err = match ledger.submit(sample::submit(command)) {
        Err(SubmitError::Refused(e)) => e,
        other => panic!("expected a refusal, got {other:?}"),
    };
    assert_eq!(
        ledger.head(),
        before,
        "a refused command appended something"
    );
    assert!(!err.to_string().is_empty());
    err
}

#[test]
fn bad_input_is_a_typed_error_naming_the_rule_and_appends_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = ledger(dir.path());
    let customer = CustomerId(Uuid::from_u128(1));
    ledger
        .submit(sample::submit(sample::register_customer(customer)))
        .unwrap();
    ledger
        .submit(sample::submit(sample::register_product()))
        .unwrap();

    let too_many_decimals = refused(
        &ledger,
        sample::receive_payment(PaymentId(Uuid::from_u128(2)), customer, dec!(10.005)),
    );
    assert!(
        matches!(&too_many_decimals, CommandError::InvalidInput { field, reason } if field == "amount" && reason.contains("decimals"))
    );

    let unknown_currency = refused(
        &ledger,
        Command::SetCreditLimit(SetCreditLimit {
            customer_id: customer,
            limit: dec!(100),
            currency: "XYZ".into(),
            grade: arledger_core::domain::types::RiskGrade::A,
            reason: "r".into(),
        }),
    );
    assert!(
        matches!(&unknown_currency, CommandError::InvalidInput { field, reason } if field == "currency" && reason.contains("unknown currency"))
    );
    assert_eq!(unknown_currency.code(), ErrorCode::InvalidInput);

    for quantity in [0, -3] {
        let err = refused(&ledger, sample::release_lot("L9", quantity));
        assert!(
            matches!(&err, CommandError::InvalidInput { field, .. } if field == "quantity"),
            "{err}"
        );
    }

    let Command::ReleaseLot(mut far_expiry) = sample::release_lot("L9", 5) else {
        panic!("sample::release_lot releases a lot");
    };
    far_expiry.expires_on = chrono::NaiveDate::from_ymd_opt(10_000, 1, 1).unwrap();
    let out_of_range = refused(&ledger, Command::ReleaseLot(far_expiry));
    assert!(
        matches!(&out_of_range, CommandError::InvalidInput { field, reason } if field == "expires_on" && reason.contains("9999-12-31")),
        "{out_of_range}"
    );

    let unknown_customer = refused(
        &ledger,
        sample::service_invoice(
            InvoiceId(Uuid::from_u128(3)),
            CustomerId(Uuid::from_u128(77)),
            dec!(5.00),
        ),
    );
    assert!(matches!(
        unknown_customer,
        CommandError::NotFound {
            entity: "customer",
            ..
        }
    ));

    let unknown_product = refused(&ledger, sample::release_lot_of("09506000134352", "L1", 5));
    assert!(matches!(
        unknown_product,
        CommandError::NotFound {
            entity: "product",
            ..
        }
    ));

    let bad_check_digit = refused(&ledger, sample::release_lot_of("09504000059119", "L1", 5));
    assert!(
        matches!(&bad_check_digit, CommandError::InvalidInput { reason, .. } if reason.contains("expected 8")),
        "{bad_check_digit}"
    );

    assert!(
        matches!(Actor::new("u1", "janitor"), Err(CommandError::UnknownRole(r)) if r == "janitor")
    );
    let auditor = Actor::new("a1", "auditor").unwrap();
    let mut s = sample::submit(sample::register_customer(CustomerId(Uuid::from_u128(5))));
    s.actor = auditor;
    let before = ledger.head();
    assert!(matches!(
        ledger.submit(s),
        Err(SubmitError::Refused(CommandError::Forbidden { .. }))
    ));
    assert_eq!(ledger.head(), before);
}
