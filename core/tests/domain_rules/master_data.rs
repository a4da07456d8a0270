//! domain.md 3, master data events: CustomerRegistered, CustomerUpdated,
//! CreditLimitSet, PaymentTermsSet, ProductRegistered and LotReleased, as
//! recorded by RegisterCustomer, UpdateCustomer, SetCreditLimit,
//! SetPaymentTerms, RegisterProduct and ReleaseLot, and each command's
//! refusals. Who may run them is in `roles` (7); how terms decide due dates
//! in `terms` (5).

use arledger_core::domain::commands::*;
use arledger_core::domain::events::*;
use arledger_core::domain::terms::{PaymentTerms, TermsBase};
use arledger_core::domain::types::{CustomerKind, RiskClass, RiskGrade};
use arledger_core::domain::{Command, CommandError, ErrorCode, Event};
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

// RegisterCustomer

#[test]
fn registering_a_customer_records_it_with_a_trimmed_name() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &finance(),
        Command::RegisterCustomer(register_customer(NEW_CUSTOMER, "  Lakeside Clinic ")),
    ));
    assert_eq!(
        events,
        vec![Event::CustomerRegistered(CustomerRegistered {
            customer_id: NEW_CUSTOMER,
            name: "Lakeside Clinic".into(),
            kind: CustomerKind::Clinic,
            region: "South".into(),
            salesperson_id: "sam".into(),
            tax_id: Some("91310000MA1K".into()),
        })]
    );
    g.apply(&events);
    let c = &g.0.customers[&NEW_CUSTOMER];
    assert_eq!(c.name, "Lakeside Clinic");
    assert!(c.credit.is_none() && c.terms.is_none());
}

#[test]
fn registering_a_customer_with_an_empty_name_is_refused() {
    let g = world();
    for name in ["", "   "] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::RegisterCustomer(register_customer(NEW_CUSTOMER, name)),
            ),
            "name",
        );
    }
}

#[test]
fn registering_a_customer_with_an_overlong_name_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::RegisterCustomer(register_customer(NEW_CUSTOMER, &long_text())),
        ),
        "name",
    );
}

#[test]
fn registering_a_customer_without_region_or_salesperson_is_refused() {
    let g = world();
    let c = register_customer(NEW_CUSTOMER, "Lakeside Clinic");
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::RegisterCustomer(RegisterCustomer {
                region: " ".into(),
                ..c.clone()
            }),
        ),
        "region",
    );
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::RegisterCustomer(RegisterCustomer {
                salesperson_id: String::new(),
                ..c
            }),
        ),
        "salesperson_id",
    );
}

#[test]
fn registering_a_customer_with_an_overlong_tax_id_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::RegisterCustomer(RegisterCustomer {
                tax_id: Some(long_text()),
                ..register_customer(NEW_CUSTOMER, "Lakeside Clinic")
            }),
        ),
        "tax_id",
    );
}

#[test]
fn registering_a_customer_id_twice_is_refused() {
    let g = world();
    assert_exists(
        when(
            &g,
            &finance(),
            Command::RegisterCustomer(register_customer(HOSPITAL, "Another")),
        ),
        "customer",
    );
}

// UpdateCustomer

#[test]
fn updating_a_customer_changes_only_the_given_fields() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &finance(),
        Command::UpdateCustomer(UpdateCustomer {
            name: Some(" St. Mary General ".into()),
            ..update_customer(HOSPITAL)
        }),
    ));
    assert_eq!(
        events,
        vec![Event::CustomerUpdated(CustomerUpdated {
            customer_id: HOSPITAL,
            name: Some("St. Mary General".into()),
            kind: None,
            region: Some("East".into()),
            salesperson_id: None,
            tax_id: None,
        })]
    );
    g.apply(&events);
    let c = &g.0.customers[&HOSPITAL];
    assert_eq!(
        (
            c.name.as_str(),
            c.region.as_str(),
            c.salesperson_id.as_str()
        ),
        ("St. Mary General", "East", "sam")
    );
}

#[test]
fn updating_an_unknown_customer_is_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::UpdateCustomer(update_customer(NO_SUCH_CUSTOMER)),
        ),
        "customer",
    );
}

#[test]
fn updating_a_customer_to_empty_texts_is_refused() {
    let g = world();
    let base = update_customer(HOSPITAL);
    let cases = [
        (
            UpdateCustomer {
                name: Some(" ".into()),
                ..base.clone()
            },
            "name",
        ),
        (
            UpdateCustomer {
                region: Some(String::new()),
                ..base.clone()
            },
            "region",
        ),
        (
            UpdateCustomer {
                salesperson_id: Some(" ".into()),
                ..base.clone()
            },
            "salesperson_id",
        ),
        (
            UpdateCustomer {
                tax_id: Some(long_text()),
                ..base
            },
            "tax_id",
        ),
    ];
    for (c, field) in cases {
        assert_invalid(when(&g, &finance(), Command::UpdateCustomer(c)), field);
    }
}

#[test]
fn an_update_that_changes_nothing_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::UpdateCustomer(UpdateCustomer {
                region: None,
                ..update_customer(HOSPITAL)
            }),
        ),
        "fields",
    );
}

// SetCreditLimit

#[test]
fn setting_a_credit_limit_records_the_approver() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &finance_manager(),
        Command::SetCreditLimit(set_credit_limit(DEALER, dec!(2500.50), "USD")),
    ));
    assert_eq!(
        events,
        vec![Event::CreditLimitSet(CreditLimitSet {
            customer_id: DEALER,
            limit: usd(dec!(2500.50)),
            grade: RiskGrade::B,
            reason: "new contract".into(),
            approved_by: "fiona".into(),
        })]
    );
    g.apply(&events);
    let credit = g.0.customers[&DEALER].credit.clone();
    assert_eq!(
        credit.map(|c| (c.limit, c.grade)),
        Some((usd(dec!(2500.50)), RiskGrade::B))
    );
}

#[test]
fn a_credit_limit_of_zero_is_allowed() {
    let g = world();
    let events = accepted(when(
        &g,
        &finance_manager(),
        Command::SetCreditLimit(set_credit_limit(DEALER, dec!(0), "USD")),
    ));
    assert!(matches!(&events[..], [Event::CreditLimitSet(e)] if e.limit.amount.is_zero()));
}

#[test]
fn a_negative_credit_limit_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(DEALER, dec!(-0.01), "USD")),
        ),
        "limit",
    );
}

#[test]
fn a_credit_limit_in_an_unknown_currency_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(DEALER, dec!(100), "XYZ")),
        ),
        "currency",
    );
}

#[test]
fn a_credit_limit_with_more_decimals_than_its_currency_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(DEALER, dec!(10.005), "USD")),
        ),
        "limit",
    );
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(DEALER, dec!(1.5), "JPY")),
        ),
        "limit",
    );
}

#[test]
fn a_credit_limit_with_an_overlong_reason_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(SetCreditLimit {
                reason: long_text(),
                ..set_credit_limit(DEALER, dec!(100), "USD")
            }),
        ),
        "reason",
    );
}

#[test]
fn a_credit_limit_for_an_unknown_customer_is_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(NO_SUCH_CUSTOMER, dec!(100), "USD")),
        ),
        "customer",
    );
}

#[test]
fn a_credit_limit_cannot_change_the_customers_credit_currency() {
    let g = world();
    let err = assert_refused!(
        when(
            &g,
            &finance_manager(),
            Command::SetCreditLimit(set_credit_limit(HOSPITAL, dec!(100), "EUR")),
        ),
        CommandError::CurrencyMismatch { expected, got } if expected == "USD" && got == "EUR"
    );
    assert_eq!(err.code(), ErrorCode::CurrencyMismatch);
}

// SetPaymentTerms

#[test]
fn setting_payment_terms_records_them() {
    let mut g = world();
    let terms = PaymentTerms {
        installments: vec![
            installment(dec!(30), 0, TermsBase::Invoice),
            installment(dec!(70), 60, TermsBase::Acceptance),
        ],
    };
    let events = accepted(when(
        &g,
        &finance(),
        Command::SetPaymentTerms(set_payment_terms(DEALER, terms.clone())),
    ));
    assert_eq!(
        events,
        vec![Event::PaymentTermsSet(PaymentTermsSet {
            customer_id: DEALER,
            contract_id: None,
            terms: terms.clone(),
        })]
    );
    g.apply(&events);
    assert_eq!(g.0.customers[&DEALER].terms, Some(terms));
}

#[test]
fn terms_set_for_a_contract_are_kept_apart_from_the_default_terms() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &finance(),
        Command::SetPaymentTerms(set_contract_terms(HOSPITAL, "K-2026-01", net(90))),
    ));
    assert_eq!(
        events,
        vec![Event::PaymentTermsSet(PaymentTermsSet {
            customer_id: HOSPITAL,
            contract_id: Some("K-2026-01".into()),
            terms: net(90),
        })]
    );
    g.apply(&events);
    let hospital = &g.0.customers[&HOSPITAL];
    assert_eq!(
        hospital.terms,
        Some(net(30)),
        "the default terms are unchanged"
    );
    assert_eq!(hospital.contract_terms.get("K-2026-01"), Some(&net(90)));
}

#[test]
fn payment_terms_for_an_unknown_customer_are_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &finance(),
            Command::SetPaymentTerms(set_payment_terms(NO_SUCH_CUSTOMER, net(30))),
        ),
        "customer",
    );
}

#[test]
fn payment_terms_whose_shares_do_not_sum_to_one_hundred_are_refused() {
    let g = world();
    for shares in [
        vec![dec!(50), dec!(49.99)],
        vec![dec!(50), dec!(50.01)],
        vec![dec!(100), dec!(1)],
    ] {
        let terms = PaymentTerms {
            installments: shares
                .into_iter()
                .map(|s| installment(s, 30, TermsBase::Invoice))
                .collect(),
        };
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::SetPaymentTerms(set_payment_terms(DEALER, terms)),
            ),
            "terms",
        );
    }
}

#[test]
fn payment_terms_with_no_installment_or_a_non_positive_share_are_refused() {
    let g = world();
    let no_installments = PaymentTerms {
        installments: vec![],
    };
    let zero_share = PaymentTerms {
        installments: vec![
            installment(dec!(0), 10, TermsBase::Invoice),
            installment(dec!(100), 30, TermsBase::Invoice),
        ],
    };
    let negative_share = PaymentTerms {
        installments: vec![
            installment(dec!(-10), 10, TermsBase::Invoice),
            installment(dec!(110), 30, TermsBase::Invoice),
        ],
    };
    for terms in [no_installments, zero_share, negative_share] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::SetPaymentTerms(set_payment_terms(DEALER, terms)),
            ),
            "terms",
        );
    }
}

#[test]
fn payment_terms_too_far_out_or_with_too_many_installments_are_refused() {
    let g = world();
    let too_far = PaymentTerms::single(3_651, TermsBase::Invoice);
    let too_many = PaymentTerms {
        installments: (0..61)
            .map(|i| {
                installment(
                    if i == 0 { dec!(40) } else { dec!(1) },
                    30,
                    TermsBase::Invoice,
                )
            })
            .collect(),
    };
    for terms in [too_far, too_many] {
        assert_invalid(
            when(
                &g,
                &finance(),
                Command::SetPaymentTerms(set_payment_terms(DEALER, terms)),
            ),
            "terms",
        );
    }
}

#[test]
fn payment_terms_with_an_overlong_contract_id_are_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &finance(),
            Command::SetPaymentTerms(SetPaymentTerms {
                contract_id: Some(long_text()),
                ..set_payment_terms(DEALER, net(30))
            }),
        ),
        "contract_id",
    );
}

// RegisterProduct

#[test]
fn registering_a_product_pads_its_gtin_to_fourteen_digits() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &quality(),
        Command::RegisterProduct(register_product("4006381333931")),
    ));
    assert_eq!(
        events,
        vec![Event::ProductRegistered(ProductRegistered {
            gtin: gtin("04006381333931"),
            name: "Infusion pump".into(),
            model: Some("IP-7".into()),
            risk_class: RiskClass::III,
            registration_no: Some("NMPA-2026-0001".into()),
            company_prefix_len: 7,
        })]
    );
    g.apply(&events);
    assert!(g.0.products.contains_key(&gtin("04006381333931")));
}

#[test]
fn a_product_keeps_a_given_company_prefix_length() {
    let g = world();
    let events = accepted(when(
        &g,
        &quality(),
        Command::RegisterProduct(RegisterProduct {
            company_prefix_len: Some(9),
            ..register_product(GTIN_UNREGISTERED)
        }),
    ));
    assert!(matches!(&events[..], [Event::ProductRegistered(p)] if p.company_prefix_len == 9));
}

#[test]
fn a_gtin_with_a_wrong_check_digit_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::RegisterProduct(register_product("09506000134353")),
        ),
        "gtin",
    );
}

#[test]
fn a_gtin_with_letters_or_a_wrong_length_is_refused() {
    let g = world();
    for text in ["0950600013435A", "123", "095060001343520", ""] {
        assert_invalid(
            when(
                &g,
                &quality(),
                Command::RegisterProduct(register_product(text)),
            ),
            "gtin",
        );
    }
}

#[test]
fn a_product_without_a_name_or_with_overlong_texts_is_refused() {
    let g = world();
    let base = register_product(GTIN_UNREGISTERED);
    let cases = [
        (
            RegisterProduct {
                name: " ".into(),
                ..base.clone()
            },
            "name",
        ),
        (
            RegisterProduct {
                model: Some(long_text()),
                ..base.clone()
            },
            "model",
        ),
        (
            RegisterProduct {
                registration_no: Some(long_text()),
                ..base
            },
            "registration_no",
        ),
    ];
    for (c, field) in cases {
        assert_invalid(when(&g, &quality(), Command::RegisterProduct(c)), field);
    }
}

#[test]
fn a_company_prefix_length_outside_six_to_twelve_is_refused() {
    let g = world();
    for len in [5, 13] {
        assert_invalid(
            when(
                &g,
                &quality(),
                Command::RegisterProduct(RegisterProduct {
                    company_prefix_len: Some(len),
                    ..register_product(GTIN_UNREGISTERED)
                }),
            ),
            "company_prefix_len",
        );
    }
}

#[test]
fn registering_a_gtin_twice_is_refused_even_in_its_short_form() {
    let g = world();
    assert_exists(
        when(
            &g,
            &quality(),
            Command::RegisterProduct(register_product(GTIN_A)),
        ),
        "product",
    );
    let g = g.and(Command::RegisterProduct(register_product("4006381333931")));
    assert_exists(
        when(
            &g,
            &quality(),
            Command::RegisterProduct(register_product("04006381333931")),
        ),
        "product",
    );
}

// ReleaseLot

#[test]
fn releasing_a_lot_records_it() {
    let mut g = world();
    let events = accepted(when(
        &g,
        &warehouse(),
        Command::ReleaseLot(release_lot(GTIN_B, "B2", 40)),
    ));
    assert_eq!(
        events,
        vec![Event::LotReleased(LotReleased {
            gtin: gtin(GTIN_B),
            lot: "B2".into(),
            manufactured_on: d("2026-01-01"),
            expires_on: d("2028-01-01"),
            quantity: 40,
        })]
    );
    g.apply(&events);
    let lot =
        g.0.lot(&gtin(GTIN_B), "B2")
            .map(|l| (l.released, l.shipped));
    assert_eq!(lot, Some((40, 0)));
}

#[test]
fn releasing_a_lot_with_an_invalid_gtin_is_refused() {
    let g = world();
    assert_invalid(
        when(
            &g,
            &quality(),
            Command::ReleaseLot(release_lot("09506000134353", "X1", 1)),
        ),
        "gtin",
    );
}

#[test]
fn a_lot_number_that_is_empty_too_long_or_not_printable_ascii_is_refused() {
    let g = world();
    for lot in ["", "L23456789012345678901", "LOT 7", "LÖT"] {
        assert_invalid(
            when(
                &g,
                &quality(),
                Command::ReleaseLot(release_lot(GTIN_B, lot, 1)),
            ),
            "lot",
        );
    }
}

#[test]
fn releasing_a_lot_of_zero_or_negative_quantity_is_refused() {
    let g = world();
    for quantity in [0, -5, 1_000_000_001] {
        assert_invalid(
            when(
                &g,
                &quality(),
                Command::ReleaseLot(release_lot(GTIN_B, "B2", quantity)),
            ),
            "quantity",
        );
    }
}

#[test]
fn a_lot_that_expires_on_or_before_its_manufacture_is_refused() {
    let g = world();
    for expires_on in ["2026-01-01", "2025-12-31"] {
        assert_invalid(
            when(
                &g,
                &quality(),
                Command::ReleaseLot(ReleaseLot {
                    expires_on: d(expires_on),
                    ..release_lot(GTIN_B, "B2", 1)
                }),
            ),
            "expires_on",
        );
    }
}

#[test]
fn releasing_a_lot_of_an_unknown_product_is_refused() {
    let g = world();
    assert_not_found(
        when(
            &g,
            &quality(),
            Command::ReleaseLot(release_lot(GTIN_UNREGISTERED, "X1", 1)),
        ),
        "product",
    );
}

#[test]
fn releasing_a_lot_number_twice_for_one_gtin_is_refused_but_another_gtin_may_reuse_it() {
    let g = world();
    assert_exists(
        when(
            &g,
            &quality(),
            Command::ReleaseLot(release_lot(GTIN_A, "L1", 1)),
        ),
        "lot",
    );
    assert!(
        when(
            &g,
            &quality(),
            Command::ReleaseLot(release_lot(GTIN_B, "L1", 1))
        )
        .is_ok()
    );
}
