//! domain.md 7, roles: the role names, who may run which command (one
//! command of each variant against every role), and refusals that name the
//! role and the roles that may.

use arledger_core::domain::state::OrderStatus;
use arledger_core::domain::types::{Actor, Role};
use arledger_core::domain::{Command, CommandError, ErrorCode};
use rust_decimal_macros::dec;

use crate::commands::*;
use crate::fixtures::*;
use crate::harness::*;
use crate::values::*;

/// One command of each variant, valid against `with_payment()` apart from roles.
fn every_command() -> Vec<Command> {
    vec![
        Command::RegisterCustomer(register_customer(NO_SUCH_CUSTOMER, "New Clinic")),
        Command::UpdateCustomer(update_customer(HOSPITAL)),
        Command::SetCreditLimit(set_credit_limit(HOSPITAL, dec!(5000.00), "USD")),
        Command::SetPaymentTerms(set_payment_terms(HOSPITAL, net(60))),
        Command::RegisterProduct(register_product(GTIN_UNREGISTERED)),
        Command::ReleaseLot(release_lot(GTIN_B, "B2", 10)),
        Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(10.00))),
        release(O1),
        reject(O1),
        cancel(O1),
        Command::ShipOrder(shipment(
            S2,
            O1,
            "2026-01-11",
            vec![ship_line(2, GTIN_B, "B1", 5)],
        )),
        accept(S1, "2026-01-12"),
        Command::IssueInvoice(service_invoice(
            I2,
            HOSPITAL,
            "2026-01-20",
            dec!(50.00),
            net(30),
        )),
        Command::IssueCreditNote(credit_note(CN1, I1, dec!(10.00))),
        Command::ReceivePayment(payment(P2, HOSPITAL, dec!(10.00))),
        Command::AllocatePayment(allocate(P1, I1, dec!(100.00))),
        Command::ReversePayment(reverse(P1)),
        Command::WriteOffInvoice(write_off(I1, dec!(10.00))),
        Command::RecoverWriteOff(recover(I1, dec!(10.00))),
        Command::OpenDispute(open_dispute(I1, dec!(10.00))),
        Command::ResolveDispute(resolve_dispute(I1)),
        Command::RecordCollectionActivity(collection(HOSPITAL, vec![I1])),
        Command::IssueRecall(recall(R1, GTIN_A, &["L1"])),
        Command::AcknowledgeRecall(acknowledge(R1, HOSPITAL)),
        Command::RecordRecallReturn(recall_return(R1, HOSPITAL, 1)),
    ]
}

/// An exhaustive match: adding a command variant breaks this until
/// `every_command` (and so the role tests) covers it.
fn variant_index(command: &Command) -> usize {
    match command {
        Command::RegisterCustomer(_) => 0,
        Command::UpdateCustomer(_) => 1,
        Command::SetCreditLimit(_) => 2,
        Command::SetPaymentTerms(_) => 3,
        Command::RegisterProduct(_) => 4,
        Command::ReleaseLot(_) => 5,
        Command::PlaceOrder(_) => 6,
        Command::ReleaseOrder(_) => 7,
        Command::RejectOrder(_) => 8,
        Command::CancelOrder(_) => 9,
        Command::ShipOrder(_) => 10,
        Command::AcceptDelivery(_) => 11,
        Command::IssueInvoice(_) => 12,
        Command::IssueCreditNote(_) => 13,
        Command::ReceivePayment(_) => 14,
        Command::AllocatePayment(_) => 15,
        Command::ReversePayment(_) => 16,
        Command::WriteOffInvoice(_) => 17,
        Command::RecoverWriteOff(_) => 18,
        Command::OpenDispute(_) => 19,
        Command::ResolveDispute(_) => 20,
        Command::RecordCollectionActivity(_) => 21,
        Command::IssueRecall(_) => 22,
        Command::AcknowledgeRecall(_) => 23,
        Command::RecordRecallReturn(_) => 24,
    }
}

const COMMAND_VARIANTS: usize = 25;

#[test]
fn every_command_variant_is_covered_by_the_role_tests() {
    let mut seen = [false; COMMAND_VARIANTS];
    for c in every_command() {
        seen[variant_index(&c)] = true;
    }
    assert!(seen.iter().all(|s| *s), "missing variants: {seen:?}");
}

#[test]
fn unknown_role_names_are_refused() {
    let err = assert_refused!(
        Actor::new("u", "janitor"),
        CommandError::UnknownRole(name) if name == "janitor"
    );
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.to_string().contains("finance_manager"), "{err}");
}

#[test]
fn role_names_are_case_sensitive_as_written_in_domain_md() {
    assert_refused!(Actor::new("u", "Admin"), CommandError::UnknownRole(_));
    assert_refused!(
        Actor::new("u", "finance-manager"),
        CommandError::UnknownRole(_)
    );
}

#[test]
fn every_role_of_domain_md_is_known() {
    for name in [
        "admin",
        "finance_manager",
        "finance",
        "sales",
        "warehouse",
        "quality",
        "auditor",
        "regulator",
    ] {
        assert_eq!(actor("u", name).role.name(), name);
    }
}

#[test]
fn an_actor_without_a_user_id_is_refused() {
    let err = assert_refused!(
        Actor::new("  ", "admin"),
        CommandError::InvalidInput { field, .. } if field == "actor.user_id"
    );
    assert_eq!(err.code(), ErrorCode::InvalidInput);
}

#[test]
fn auditor_may_run_no_command() {
    let g = with_payment();
    for c in every_command() {
        let name = c.name();
        let err = assert_refused!(when(&g, &auditor(), c), CommandError::Forbidden { .. });
        assert!(
            matches!(
                err,
                CommandError::Forbidden {
                    role: Role::Auditor,
                    ..
                }
            ),
            "{name}: {err:?}"
        );
    }
}

#[test]
fn regulator_may_run_no_command() {
    let g = with_payment();
    for c in every_command() {
        assert_forbidden(when(&g, &regulator(), c), Role::Regulator);
    }
}

#[test]
fn admin_and_finance_manager_pass_the_role_check_of_every_command() {
    let g = with_payment();
    for who in [admin(), finance_manager()] {
        for c in every_command() {
            let name = c.name();
            let result = when(&g, &who, c);
            assert!(
                !matches!(result, Err(CommandError::Forbidden { .. })),
                "{} was refused {name}: {result:?}",
                who.role
            );
        }
    }
}

#[test]
fn release_by_finance_role_is_forbidden() {
    let g = with_held_order();
    let err = assert_refused!(
        when(&g, &finance(), release(O2)),
        CommandError::Forbidden { role: Role::Finance, action, needed }
            if *action == "release held orders" && needed == "admin, finance_manager"
    );
    assert_eq!(err.code(), ErrorCode::Forbidden);
    assert!(err.to_string().contains("finance_manager"), "{err}");
    assert_eq!(g.order_status(O2), OrderStatus::Held);
}

#[test]
fn reject_by_finance_or_sales_role_is_forbidden() {
    let g = with_held_order();
    assert_forbidden(when(&g, &finance(), reject(O2)), Role::Finance);
    assert_forbidden(when(&g, &sales(), reject(O2)), Role::Sales);
}

#[test]
fn write_off_by_finance_role_is_forbidden() {
    let g = with_invoice();
    assert_forbidden(
        when(
            &g,
            &finance(),
            Command::WriteOffInvoice(write_off(I1, dec!(10.00))),
        ),
        Role::Finance,
    );
}

#[test]
fn setting_a_credit_limit_needs_a_finance_manager() {
    let g = world();
    let c = || Command::SetCreditLimit(set_credit_limit(HOSPITAL, dec!(1.00), "USD"));
    assert_forbidden(when(&g, &finance(), c()), Role::Finance);
    assert_forbidden(when(&g, &sales(), c()), Role::Sales);
    assert!(when(&g, &finance_manager(), c()).is_ok());
}

#[test]
fn warehouse_may_not_register_customers() {
    let g = world();
    assert_forbidden(
        when(
            &g,
            &warehouse(),
            Command::RegisterCustomer(register_customer(NEW_CUSTOMER, "Lakeside Clinic")),
        ),
        Role::Warehouse,
    );
}

/// Customer master data is finance's (domain.md 7 gives sales orders and
/// collection activity only).
#[test]
fn sales_may_not_register_or_update_customers() {
    let g = world();
    assert_forbidden(
        when(
            &g,
            &sales(),
            Command::RegisterCustomer(register_customer(NEW_CUSTOMER, "Lakeside Clinic")),
        ),
        Role::Sales,
    );
}

#[test]
fn a_refusal_for_the_role_names_the_roles_that_may() {
    let g = with_order();
    let err = assert_refused!(
        when(&g, &quality(), Command::ShipOrder(ship_s1())),
        CommandError::Forbidden { role: Role::Quality, action, needed }
            if *action == "ship orders" && needed == "admin, finance_manager, warehouse"
    );
    assert_eq!(
        err.to_string(),
        "role quality may not ship orders; it needs one of: admin, finance_manager, warehouse"
    );
}

#[test]
fn each_role_is_refused_the_commands_domain_md_does_not_grant_it() {
    let g = with_payment();
    let cases: Vec<(Actor, Command)> = vec![
        // finance: invoices, payments, allocations, credit notes, disputes, collections
        (
            finance(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(1.00))),
        ),
        (finance(), Command::ShipOrder(ship_s1())),
        (
            finance(),
            Command::RegisterProduct(register_product(GTIN_UNREGISTERED)),
        ),
        (finance(), Command::IssueRecall(recall(R1, GTIN_A, &["L1"]))),
        // sales: place orders, record collection activity
        (sales(), Command::IssueInvoice(issue_i1())),
        (
            sales(),
            Command::ReceivePayment(payment(P2, HOSPITAL, dec!(1.00))),
        ),
        (
            sales(),
            Command::IssueCreditNote(credit_note(CN1, I1, dec!(1.00))),
        ),
        (sales(), Command::ShipOrder(ship_s1())),
        (sales(), release(O1)),
        (sales(), Command::WriteOffInvoice(write_off(I1, dec!(1.00)))),
        // warehouse: ship, record acceptance, lots
        (
            warehouse(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(1.00))),
        ),
        (warehouse(), Command::IssueInvoice(issue_i1())),
        (
            warehouse(),
            Command::ReceivePayment(payment(P2, HOSPITAL, dec!(1.00))),
        ),
        (
            warehouse(),
            Command::IssueRecall(recall(R1, GTIN_A, &["L1"])),
        ),
        (
            warehouse(),
            Command::RegisterProduct(register_product(GTIN_UNREGISTERED)),
        ),
        // quality: products, lots, recalls, recall acknowledgements
        (quality(), Command::ShipOrder(ship_s1())),
        (
            quality(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(1.00))),
        ),
        (quality(), Command::IssueInvoice(issue_i1())),
        (
            quality(),
            Command::AllocatePayment(allocate(P1, I1, dec!(1.00))),
        ),
    ];
    for (who, c) in cases {
        let role = who.role;
        assert_forbidden(when(&g, &who, c), role);
    }
}

#[test]
fn each_role_passes_the_role_check_of_the_commands_domain_md_grants_it() {
    let g = with_payment();
    let cases: Vec<(Actor, Command)> = vec![
        (
            finance(),
            Command::IssueInvoice(service_invoice(
                I2,
                HOSPITAL,
                "2026-01-20",
                dec!(5.00),
                net(30),
            )),
        ),
        (
            finance(),
            Command::ReceivePayment(payment(P2, HOSPITAL, dec!(1.00))),
        ),
        (
            finance(),
            Command::AllocatePayment(allocate(P1, I1, dec!(1.00))),
        ),
        (
            finance(),
            Command::IssueCreditNote(credit_note(CN1, I1, dec!(1.00))),
        ),
        (
            finance(),
            Command::OpenDispute(open_dispute(I1, dec!(1.00))),
        ),
        (
            finance(),
            Command::RecordCollectionActivity(collection(HOSPITAL, vec![I1])),
        ),
        (
            sales(),
            Command::PlaceOrder(order_of(O3, HOSPITAL, 1, dec!(1.00))),
        ),
        (
            sales(),
            Command::RecordCollectionActivity(collection(HOSPITAL, vec![I1])),
        ),
        (
            warehouse(),
            Command::ShipOrder(shipment(
                S2,
                O1,
                "2026-01-11",
                vec![ship_line(2, GTIN_B, "B1", 5)],
            )),
        ),
        (warehouse(), accept(S1, "2026-01-12")),
        (
            warehouse(),
            Command::ReleaseLot(release_lot(GTIN_B, "B2", 10)),
        ),
        (
            quality(),
            Command::RegisterProduct(register_product(GTIN_UNREGISTERED)),
        ),
        (
            quality(),
            Command::ReleaseLot(release_lot(GTIN_B, "B2", 10)),
        ),
        (quality(), Command::IssueRecall(recall(R1, GTIN_A, &["L1"]))),
    ];
    for (who, c) in cases {
        let name = c.name();
        let role = who.role;
        let result = when(&g, &who, c);
        assert!(result.is_ok(), "{role} {name}: {result:?}");
    }
}
